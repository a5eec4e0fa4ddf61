import { stringValue, UsageError } from '../../args.js';
import type { Command } from '../../context.js';
import { withEngine } from '../../engine.js';
import { EXIT } from '../../exit-codes.js';
import { table } from '../../format.js';
import { print } from '../../output.js';
import { requireRoot } from '../../root.js';
import { volumeJson, volumesOf } from './usage.js';

export const volumeLsCommand: Command = {
  summary: 'List volumes',
  usage: 'tscompose volume ls [--format table|json] [-q]',
  options: { format: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } },
  run: (ctx) => {
    requireRoot();
    const format = stringValue(ctx.args.values.format) ?? 'table';
    if (format !== 'table' && format !== 'json') {
      throw new UsageError(`volume ls: unknown format "${format}"`, { hint: 'use table or json' });
    }
    return withEngine(ctx, async (engine) => {
      const volumes = volumesOf(engine);
      if (ctx.args.values.quiet) {
        if (volumes.length) print(ctx.out, volumes.map((v) => v.name).join('\n'));
      } else if (format === 'json') {
        print(ctx.out, JSON.stringify(volumes.map(volumeJson), null, 2));
      } else {
        print(
          ctx.out,
          table(
            ['DRIVER', 'VOLUME NAME'],
            volumes.map((v) => ['local', v.name]),
          ),
        );
      }
      return EXIT.ok;
    });
  },
};
