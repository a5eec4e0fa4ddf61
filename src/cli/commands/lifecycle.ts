import { narrator } from '../../stack/events.js';
import {
  containersOf,
  startServices,
  stopServices,
  withRestartDependents,
} from '../../stack/lifecycle.js';
import { stringValue } from '../args.js';
import type { Command } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { ensureKeeper } from '../keeper.js';
import { print } from '../output.js';
import { withStack } from '../stack.js';
import { seconds } from '../units.js';

const timeoutOption = { timeout: { type: 'string', short: 't' } } as const;

export const startCommand: Command = {
  summary: 'Start existing containers',
  usage: 'tscompose start [SERVICE...]',
  options: {},
  run: (ctx) =>
    withStack(ctx, async ({ deps, project, graph, engine }) => {
      await startServices(deps, project, graph, ctx.args.positionals);
      await ensureKeeper(engine.paths, project.name);
      return EXIT.ok;
    }),
};

export const stopCommand: Command = {
  summary: 'Stop running containers without removing them',
  usage: 'tscompose stop [-t SECONDS] [SERVICE...]',
  options: timeoutOption,
  run: (ctx) =>
    withStack(ctx, async ({ deps, project, graph }) => {
      const timeout = seconds(ctx.args.values.timeout, 'stop --timeout');
      await stopServices(deps, project, graph, ctx.args.positionals, timeout);
      return EXIT.ok;
    }),
};

export const restartCommand: Command = {
  summary: 'Restart containers',
  usage: 'tscompose restart [-t SECONDS] [SERVICE...]',
  options: timeoutOption,
  run: (ctx) =>
    withStack(ctx, async ({ deps, project, graph, engine }) => {
      const timeout = seconds(ctx.args.values.timeout, 'restart --timeout');
      const services = withRestartDependents(graph, ctx.args.positionals);
      await stopServices(deps, project, graph, services, timeout);
      await startServices(deps, project, graph, services);
      await ensureKeeper(engine.paths, project.name);
      return EXIT.ok;
    }),
};

export const killCommand: Command = {
  summary: 'Send a signal to the containers (SIGKILL by default)',
  usage: 'tscompose kill [-s SIGNAL] [SERVICE...]',
  options: { signal: { type: 'string', short: 's' } },
  run: (ctx) =>
    withStack(ctx, async ({ deps, project }) => {
      const signal = stringValue(ctx.args.values.signal) ?? 'SIGKILL';
      const running = containersOf(deps, project, ctx.args.positionals).filter(
        (c) => c.state === 'running' || c.state === 'paused',
      );
      await Promise.all(
        running.map(async (container) => {
          await deps.manager.kill(container.id, signal);
          narrator(deps, container)('Killed', true);
        }),
      );
      return EXIT.ok;
    }),
};

/** `pause` and `unpause`: the same walk over the containers in the state to change. */
function freezeCommand(pause: boolean): Command {
  const verb = pause ? 'pause' : 'unpause';
  return {
    summary: `${pause ? 'Pause' : 'Unpause'} the containers of services`,
    usage: `tscompose ${verb} [SERVICE...]`,
    options: {},
    run: (ctx) =>
      withStack(ctx, async ({ deps, project }) => {
        for (const c of containersOf(deps, project, ctx.args.positionals)) {
          if (c.state !== (pause ? 'running' : 'paused')) continue;
          await (pause ? deps.manager.pause(c.id) : deps.manager.unpause(c.id));
          narrator(deps, c)(pause ? 'Paused' : 'Unpaused', true);
        }
        return EXIT.ok;
      }),
  };
}

export const pauseCommand = freezeCommand(true);
export const unpauseCommand = freezeCommand(false);

export const waitCommand: Command = {
  summary: 'Block until the containers of services stop, then print their exit codes',
  usage: 'tscompose wait SERVICE...',
  options: {},
  run: (ctx) =>
    withStack(
      ctx,
      async ({ deps, project }) => {
        const containers = containersOf(deps, project, ctx.args.positionals, { oneoff: false });
        let last = 0;
        for (const container of containers) {
          last = await deps.manager.wait(container.id);
          print(ctx.out, String(last));
        }
        return EXIT.ok;
      },
      { quiet: true },
    ),
};
