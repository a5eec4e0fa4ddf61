import { familiarName, parseReference } from '../../../engine/image/reference.js';
import { shortId, type ImageSummary } from '../../../engine/image/repository.js';
import { stringValue, UsageError } from '../../args.js';
import type { Command } from '../../context.js';
import { withEngine } from '../../engine.js';
import { EXIT } from '../../exit-codes.js';
import { humanAge, humanSize, table } from '../../format.js';
import { print } from '../../output.js';

export const lsCommand: Command = {
  summary: 'List images',
  usage: 'tscompose image ls [--format table|json] [-q]',
  options: {
    format: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
  run: (ctx) =>
    withEngine(ctx, async (_engine, images) => {
      const format = stringValue(ctx.args.values.format) ?? 'table';
      if (format !== 'table' && format !== 'json') {
        throw new UsageError(`image ls: unknown format "${format}"`, { hint: 'use table or json' });
      }
      const list = images.list();
      if (ctx.args.values.quiet) {
        if (list.length) print(ctx.out, list.map((image) => shortId(image.id)).join('\n'));
        return EXIT.ok;
      }
      if (format === 'json') {
        print(ctx.out, JSON.stringify(list.map(toJson), null, 2));
        return EXIT.ok;
      }
      print(
        ctx.out,
        table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], list.flatMap(rows)),
      );
      return EXIT.ok;
    }),
};

/** One row per name, like `docker image ls`; an image without one shows `<none>`. */
function rows(image: ImageSummary): string[][] {
  const cells = [shortId(image.id), humanAge(image.created), humanSize(image.size)];
  if (image.refs.length === 0) return [['<none>', '<none>', ...cells]];
  return image.refs.map((name) => {
    const ref = parseReference(name);
    const familiar = familiarName({ ...ref, tag: undefined });
    return [familiar, ref.tag ?? '<none>', ...cells];
  });
}

function toJson(image: ImageSummary) {
  return {
    ID: image.id,
    RepoTags: image.refs.map((name) => familiarName(parseReference(name))),
    RepoDigests: image.repoDigests,
    Created: image.created,
    Size: image.size,
    Platform: image.platform,
  };
}
