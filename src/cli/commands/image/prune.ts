import type { Command } from '../../context.js';
import { withEngine } from '../../engine.js';
import { EXIT } from '../../exit-codes.js';
import { humanSize } from '../../format.js';
import { print } from '../../output.js';

export const pruneCommand: Command = {
  summary: 'Remove images without a name (with -a, every image), then unused blobs',
  usage: 'tscompose image prune [-a]',
  options: {
    all: { type: 'boolean', short: 'a' },
    force: { type: 'boolean', short: 'f' },
  },
  run: (ctx) =>
    withEngine(ctx, async (_engine, images) => {
      const { deleted, reclaimed } = images.prune({ all: Boolean(ctx.args.values.all) });
      for (const id of deleted) print(ctx.out, `Deleted: ${id}`);
      print(ctx.out, `Total reclaimed space: ${humanSize(reclaimed)}`);
      return EXIT.ok;
    }),
};
