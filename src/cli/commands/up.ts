import { RuntimeError } from '../../errors.js';
import type { ContainerRecord } from '../../engine/containers/records.js';
import type { PullPolicy } from '../../stack/images.js';
import { stopServices } from '../../stack/lifecycle.js';
import { Keeper } from '../../stack/keeper.js';
import { up } from '../../stack/up.js';
import { stringValue, UsageError } from '../args.js';
import type { Command } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { ensureKeeper, stopKeeper } from '../keeper.js';
import { followContainers } from '../logs.js';
import { withStack } from '../stack.js';
import { seconds } from '../units.js';

export const upCommand: Command = {
  summary: 'Create and start containers',
  usage: [
    'tscompose up [OPTIONS] [SERVICE...]',
    '',
    '  -d, --detach                  run in the background; print nothing but progress',
    '  --wait                        with -d: wait until services are running and healthy',
    '  --wait-timeout SECONDS        give up waiting after this long (exit 1)',
    '  --abort-on-container-exit     stop everything when any container stops',
    "  --exit-code-from SERVICE      exit with that service's exit code (implies the above)",
    '  --no-deps                     do not start the services the named ones depend on',
    '  --pull always|missing|never   when to pull images (default missing)',
    '  --force-recreate              recreate containers even if nothing changed',
    '  --no-recreate                 never recreate existing containers',
    '  --remove-orphans              remove containers of services no longer in the files',
    '  -t, --timeout SECONDS         stop timeout for recreated containers',
  ].join('\n'),
  options: {
    detach: { type: 'boolean', short: 'd' },
    wait: { type: 'boolean' },
    'wait-timeout': { type: 'string' },
    'abort-on-container-exit': { type: 'boolean' },
    'exit-code-from': { type: 'string' },
    'no-deps': { type: 'boolean' },
    pull: { type: 'string' },
    'force-recreate': { type: 'boolean' },
    'no-recreate': { type: 'boolean' },
    'remove-orphans': { type: 'boolean' },
    timeout: { type: 'string', short: 't' },
  },
  run: async (ctx) => {
    const { values, positionals } = ctx.args;
    const pull = stringValue(values.pull) ?? 'missing';
    if (!['always', 'missing', 'never'].includes(pull)) {
      throw new UsageError(`up: --pull takes always, missing or never, not "${pull}"`);
    }
    if (values['force-recreate'] && values['no-recreate']) {
      throw new UsageError('up: --force-recreate and --no-recreate are mutually exclusive');
    }
    const exitCodeFrom = stringValue(values['exit-code-from']);
    const abortOnExit = Boolean(values['abort-on-container-exit']) || exitCodeFrom !== undefined;
    if (values.detach && abortOnExit) {
      throw new UsageError(
        'up: --abort-on-container-exit and --exit-code-from need the foreground',
        {
          hint: 'drop -d',
        },
      );
    }
    return withStack(
      ctx,
      async ({ deps, project, graph, engine }) => {
        // One supervisor at a time: while attached, this process is the keeper. Detached,
        // the keeper starts while the containers do, and takes them as they come.
        if (!values.detach) await stopKeeper(engine.paths, project.name);
        const keeperReady = values.detach ? ensureKeeper(engine.paths, project.name) : undefined;
        keeperReady?.catch(() => undefined);
        const result = await up(deps, project, graph, {
          services: positionals,
          noDeps: Boolean(values['no-deps']),
          forceRecreate: Boolean(values['force-recreate']),
          noRecreate: Boolean(values['no-recreate']),
          removeOrphans: Boolean(values['remove-orphans']),
          pull: pull as PullPolicy,
          timeoutMs: seconds(values.timeout, 'up --timeout'),
        }).catch(async (error: unknown) => {
          // What did start stays up under the keeper, which must be in place (its pid
          // file written) before we return, so that a down right after finds it.
          await keeperReady?.catch(() => undefined);
          throw error;
        });
        if (values.detach) {
          await keeperReady;
          await ensureKeeper(engine.paths, project.name);
          try {
            if (values.wait) {
              const timeout = seconds(values['wait-timeout'], 'up --wait-timeout');
              await waitReady(result.containers, result.health, timeout);
            }
          } finally {
            await result.health.stop();
          }
          return EXIT.ok;
        }

        // The foreground: logs of every container until they all stop, or until Ctrl+C.
        const controller = new AbortController();
        const interrupted = new Promise<'interrupt'>((resolve) => {
          process.once('SIGINT', () => resolve('interrupt'));
          process.once('SIGTERM', () => resolve('interrupt'));
        });
        ctx.out.stderr.write(
          'Attaching to ' + result.containers.map((c) => c.name).join(', ') + '\n',
        );
        const following = followContainers(ctx.out, deps.manager, result.containers, {
          signal: controller.signal,
          follow: true,
        });
        const keeper = new Keeper(deps, project.name).run({ signal: controller.signal });
        const firstExit = waitFirstExit(deps.manager, result.containers, controller.signal, {
          all: !abortOnExit,
          onExit: (c) =>
            ctx.out.stdout.write(
              `${c.name} exited with code ${c.exitCode ?? '?'}${c.oomKilled ? ' (OOM-killed)' : ''}\n`,
            ),
        });
        const why = await Promise.race([interrupted, firstExit]);
        let code: number = EXIT.ok;
        if (why === 'interrupt' || abortOnExit) {
          ctx.out.stderr.write(
            why === 'interrupt'
              ? 'Gracefully stopping... (press Ctrl+C again to force)\n'
              : 'Aborting on container exit...\n',
          );
          await stopServices(
            deps,
            project,
            graph,
            result.services,
            seconds(values.timeout, 'up --timeout'),
          );
        }
        controller.abort();
        await following;
        await keeper;
        await result.health.stop();
        if (exitCodeFrom) {
          const from = deps.manager
            .list(project.name)
            .find((c) => c.service === exitCodeFrom && !c.oneoff);
          code = from?.exitCode ?? EXIT.runtime;
        } else if (abortOnExit && why !== 'interrupt') {
          code = (why as ContainerRecord).exitCode ?? EXIT.ok;
        }
        return code;
      },
      { services: positionals },
    );
  },
};

/** Every container running, and healthy where it has a healthcheck; within the timeout. */
async function waitReady(
  containers: ContainerRecord[],
  health: {
    waitHealthy: (c: ContainerRecord, service: string) => Promise<void>;
    watches: (id: string) => boolean;
  },
  timeoutMs: number | undefined,
): Promise<void> {
  const ready = Promise.all(
    containers
      .filter((c) => health.watches(c.id))
      .map((c) => health.waitHealthy(c, c.service ?? c.name)),
  );
  if (timeoutMs === undefined) {
    await ready;
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new RuntimeError(`the services were not ready within ${timeoutMs / 1000}s`, {
            hint: 'tscompose ps shows which; tscompose logs SERVICE may say why',
          }),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The first container to exit (or, with `all`, the last), as its record. */
async function waitFirstExit(
  manager: {
    wait: (id: string, signal?: AbortSignal) => Promise<number>;
    refresh: (id: string) => ContainerRecord;
  },
  containers: ContainerRecord[],
  signal: AbortSignal,
  options: { all: boolean; onExit?: (container: ContainerRecord) => void },
): Promise<ContainerRecord> {
  // An abort (Ctrl+C) ends every wait; the race was already decided by then.
  const never = new Promise<never>(() => undefined);
  const exits = containers.map(async (c) => {
    try {
      await manager.wait(c.id, signal);
    } catch (error) {
      if (signal.aborted) return never;
      throw error;
    }
    const record = manager.refresh(c.id);
    options.onExit?.(record);
    return record;
  });
  if (options.all) {
    const records = await Promise.all(exits);
    return records[records.length - 1]!;
  }
  return Promise.race(exits);
}
