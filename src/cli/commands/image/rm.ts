import { familiarName, parseReference } from '../../../engine/image/reference.js';
import { UsageError } from '../../args.js';
import type { Command } from '../../context.js';
import { withEngine } from '../../engine.js';
import { EXIT } from '../../exit-codes.js';
import { print } from '../../output.js';

export const rmCommand: Command = {
  summary: 'Remove images',
  usage: 'tscompose image rm [-f] IMAGE...',
  options: { force: { type: 'boolean', short: 'f' } },
  run: (ctx) =>
    withEngine(ctx, async (_engine, images) => {
      if (ctx.args.positionals.length === 0)
        throw new UsageError('image rm needs an image name or ID');
      for (const name of ctx.args.positionals) {
        const { untagged, deleted } = images.remove(name, {
          force: Boolean(ctx.args.values.force),
        });
        for (const ref of untagged)
          print(ctx.out, `Untagged: ${familiarName(parseReference(ref))}`);
        for (const id of deleted) print(ctx.out, `Deleted: ${id}`);
      }
      return EXIT.ok;
    }),
};
