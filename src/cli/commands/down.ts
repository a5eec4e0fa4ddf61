import { down } from '../../stack/down.js';
import type { Command } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { stopKeeper } from '../keeper.js';
import { withStack } from '../stack.js';
import { seconds } from '../units.js';

export const downCommand: Command = {
  summary: 'Stop and remove containers',
  usage: [
    'tscompose down [OPTIONS]',
    '',
    '  --remove-orphans        also remove containers of services no longer in the files',
    '  -t, --timeout SECONDS   grace period before SIGKILL (default: stop_grace_period, else 10)',
    "  -v, --volumes           also remove the project's named and anonymous volumes",
  ].join('\n'),
  options: {
    'remove-orphans': { type: 'boolean' },
    timeout: { type: 'string', short: 't' },
    volumes: { type: 'boolean', short: 'v' },
  },
  run: (ctx) =>
    withStack(ctx, async ({ deps, project, graph, engine }) => {
      // First the keeper, so that nothing restarts what down stops.
      await stopKeeper(engine.paths, project.name);
      await down(deps, project, graph, {
        removeOrphans: Boolean(ctx.args.values['remove-orphans']),
        timeoutMs: seconds(ctx.args.values.timeout, 'down --timeout'),
        volumes: Boolean(ctx.args.values.volumes),
      });
      return EXIT.ok;
    }),
};
