import path from 'node:path';
import { saveArchive } from '../../../engine/image/archive/save.js';
import { stringValue, UsageError } from '../../args.js';
import type { Command } from '../../context.js';
import { withEngine } from '../../engine.js';
import { EXIT } from '../../exit-codes.js';

export const saveCommand: Command = {
  summary: 'Save images to a docker-archive or oci-archive tar',
  usage: [
    'tscompose image save -o FILE [OPTIONS] IMAGE...',
    '',
    '  -o, --output FILE                      where to write (it appears whole or not at all)',
    '  --format docker-archive|oci-archive    default docker-archive, what `docker load` reads',
  ].join('\n'),
  options: {
    output: { type: 'string', short: 'o' },
    format: { type: 'string' },
  },
  run: (ctx) =>
    withEngine(ctx, async (engine) => {
      const output = stringValue(ctx.args.values.output);
      const format = stringValue(ctx.args.values.format) ?? 'docker-archive';
      if (!output) {
        throw new UsageError('image save needs -o FILE', {
          hint: 'tscompose image save -o busybox.tar busybox',
        });
      }
      if (format !== 'docker-archive' && format !== 'oci-archive') {
        throw new UsageError(`image save: unknown format "${format}"`, {
          hint: 'use --format docker-archive or --format oci-archive',
        });
      }
      await saveArchive(engine, ctx.args.positionals, path.resolve(ctx.cwd, output), { format });
      return EXIT.ok;
    }),
};
