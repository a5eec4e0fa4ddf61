import { containersOf } from '../../stack/lifecycle.js';
import { stringValue, UsageError } from '../args.js';
import type { Command } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { followContainers } from '../logs.js';
import { withStack } from '../stack.js';
import { sinceTime } from '../units.js';

export const logsCommand: Command = {
  summary: 'View output from containers',
  usage: [
    'tscompose logs [OPTIONS] [SERVICE...]',
    '',
    '  -f, --follow          keep printing new output until Ctrl+C',
    '  -n, --tail N          only the last N lines of each container ("all" by default)',
    "  -t, --timestamps      show each line's time",
    '  --since TIME          only lines after TIME (2026-01-02T15:04:05Z, a Unix time, or 10m)',
    '  --no-log-prefix       leave out the container name',
    '  --no-color            print the names without colour',
  ].join('\n'),
  options: {
    follow: { type: 'boolean', short: 'f' },
    tail: { type: 'string', short: 'n' },
    timestamps: { type: 'boolean', short: 't' },
    since: { type: 'string' },
    'no-log-prefix': { type: 'boolean' },
    'no-color': { type: 'boolean' },
  },
  run: (ctx) =>
    withStack(
      ctx,
      async ({ deps, project }) => {
        const { values, positionals } = ctx.args;
        const tailText = stringValue(values.tail) ?? 'all';
        const tail = tailText === 'all' ? undefined : Number(tailText);
        if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) {
          throw new UsageError(`logs: --tail takes a number of lines or "all", not "${tailText}"`);
        }
        const since = stringValue(values.since);
        const containers = containersOf(deps, project, positionals).sort((a, b) =>
          a.name.localeCompare(b.name),
        );
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once('SIGINT', stop);
        try {
          await followContainers(
            { ...ctx.out, color: ctx.out.color && !values['no-color'] },
            deps.manager,
            containers,
            {
              signal: controller.signal,
              follow: Boolean(values.follow),
              tail,
              since: since ? sinceTime(since) : undefined,
              timestamps: Boolean(values.timestamps),
              prefix: !values['no-log-prefix'],
            },
          );
        } finally {
          process.off('SIGINT', stop);
        }
        return EXIT.ok;
      },
      { quiet: true },
    ),
};
