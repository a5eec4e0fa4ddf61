import { parseReference } from '../../../engine/image/reference.js';
import { UsageError } from '../../args.js';
import type { Command } from '../../context.js';
import { withEngine } from '../../engine.js';
import { EXIT } from '../../exit-codes.js';

export const tagCommand: Command = {
  summary: 'Give an image another name',
  usage: 'tscompose image tag SOURCE TARGET',
  options: {},
  run: (ctx) =>
    withEngine(ctx, async (_engine, images) => {
      const [source, target] = ctx.args.positionals;
      if (!source || !target || ctx.args.positionals.length > 2) {
        throw new UsageError('image tag needs a source and a target', {
          hint: 'tscompose image tag busybox:latest myorg/busybox:1',
        });
      }
      images.tag(parseReference(target), images.resolve(source).id);
      return EXIT.ok;
    }),
};
