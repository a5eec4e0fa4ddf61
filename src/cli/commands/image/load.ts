import { loadArchive } from '../../../engine/image/archive/load.js';
import { familiarName, parseReference } from '../../../engine/image/reference.js';
import { stringValue, UsageError } from '../../args.js';
import type { Command } from '../../context.js';
import { platformOption, withEngine } from '../../engine.js';
import { EXIT } from '../../exit-codes.js';
import { print } from '../../output.js';

export const loadCommand: Command = {
  summary: 'Load images from a docker-archive or oci-archive tar',
  usage: [
    'tscompose image load -i FILE [OPTIONS]',
    '',
    '  -i, --input FILE     the archive (plain or gzip), as `docker save` or skopeo write it',
    '  --platform OS/ARCH   the platform to take from a multi-platform oci-archive',
    '  -q, --quiet          print nothing',
  ].join('\n'),
  options: {
    input: { type: 'string', short: 'i' },
    platform: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
  run: (ctx) =>
    withEngine(ctx, async (engine) => {
      const input = stringValue(ctx.args.values.input);
      if (!input || ctx.args.positionals.length > 0) {
        throw new UsageError('image load needs the archive as -i FILE', {
          hint: 'tscompose image load -i busybox.tar',
        });
      }
      const platform = platformOption(ctx);
      const result = await loadArchive(engine, input, platform ? { platform } : {});
      if (ctx.args.values.quiet) return EXIT.ok;
      const lines = result.images.flatMap((image) =>
        image.refs.length > 0
          ? image.refs.map((ref) => `Loaded image: ${familiarName(parseReference(ref))}`)
          : [`Loaded image ID: ${image.id}`],
      );
      print(ctx.out, lines.join('\n'));
      return EXIT.ok;
    }),
};
