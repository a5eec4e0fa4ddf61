import { RuntimeError } from '../errors.js';
import type { ContainerRecord } from '../engine/containers/records.js';
import type { Service, ServiceHook } from '../planner/model.js';
import type { StackDeps } from './events.js';

/** A hook that runs longer than this is killed and counts as failed. */
const HOOK_TIMEOUT_MS = 60_000;

/**
 * A service's container started as Docker Compose starts one: the engine starts it, then
 * its `post_start` hooks run. Every start the stack makes goes through here.
 */
export async function startContainer(
  deps: StackDeps,
  service: Service | undefined,
  container: ContainerRecord,
): Promise<ContainerRecord> {
  const running = await deps.manager.start(container.id);
  if (service) await runPostStart(deps, service, running);
  return running;
}

/**
 * …and stopped: its `pre_stop` hooks first, then the engine's stop, with the grace period
 * asked for (`-t`) or else the service's `stop_grace_period`; the stop signal is the
 * container's own. Every stop the stack makes goes through here.
 */
export async function stopContainer(
  deps: StackDeps,
  service: Service | undefined,
  container: ContainerRecord,
  options: { timeoutMs?: number; byUser?: boolean } = {},
): Promise<ContainerRecord> {
  await runPreStop(deps, service, container);
  return deps.manager.stop(container.id, {
    timeoutMs: options.timeoutMs ?? service?.stop_grace_period,
    byUser: options.byUser,
  });
}

/**
 * `post_start`: each hook run in the container once it has started, in order, as Docker
 * Compose does; one that fails (or is still running after a minute) fails the start,
 * with what it printed.
 */
async function runPostStart(
  deps: StackDeps,
  service: Service,
  container: ContainerRecord,
): Promise<void> {
  for (const [i, hook] of hooks(service.post_start).entries()) {
    const result = await runHook(deps, container, hook);
    if (result.exitCode !== 0) {
      const output = `${result.stdout}${result.stderr}`.trim();
      throw new RuntimeError(
        `the post_start hook of ${container.name} ${result.timedOut ? 'timed out' : `exited with ${result.exitCode}`}${output ? `: ${output}` : ''}`,
        {
          path: `services.${service.name}.post_start[${i}]`,
          hint: 'the container was started; the hook runs inside it with exec',
        },
      );
    }
  }
}

/**
 * `pre_stop`: each hook run in the container before it is stopped. One that fails is said
 * as a warning and the stop goes on, as with Docker Compose.
 */
async function runPreStop(
  deps: StackDeps,
  service: Service | undefined,
  container: ContainerRecord,
): Promise<void> {
  if (container.state !== 'running') return;
  for (const hook of hooks(service?.pre_stop)) {
    const result = await runHook(deps, container, hook).catch((error: unknown) => ({
      exitCode: -1,
      stdout: '',
      stderr: error instanceof Error ? error.message : String(error),
      timedOut: false,
    }));
    if (result.exitCode !== 0) {
      const output = `${result.stdout}${result.stderr}`.trim();
      deps.onEvent({
        kind: 'warning',
        message: `the pre_stop hook of ${container.name} failed (${result.timedOut ? 'timed out' : `exit ${result.exitCode}`})${output ? `: ${output}` : ''}; stopping it anyway`,
      });
    }
  }
}

function hooks(list: ServiceHook[] | undefined): (ServiceHook & { command: string[] })[] {
  return (list ?? []).filter(
    (hook): hook is ServiceHook & { command: string[] } => (hook.command?.length ?? 0) > 0,
  );
}

function runHook(
  deps: StackDeps,
  container: ContainerRecord,
  hook: ServiceHook & { command: string[] },
) {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(hook.environment ?? {})) {
    if (value !== null) env[key] = value;
  }
  return deps.manager.exec(container.id, hook.command, {
    timeoutMs: HOOK_TIMEOUT_MS,
    user: hook.user,
    cwd: hook.working_dir,
    env,
    privileged: hook.privileged,
  });
}
