import { familiarName, parseReference } from '../../../engine/image/reference.js';
import type { ImageConfig, ImageManifest } from '../../../engine/image/types.js';
import { UsageError } from '../../args.js';
import type { Command } from '../../context.js';
import { withEngine } from '../../engine.js';
import { EXIT } from '../../exit-codes.js';
import { print } from '../../output.js';

export const inspectCommand: Command = {
  summary: 'Show the details of images as JSON',
  usage: 'tscompose image inspect IMAGE...',
  options: { format: { type: 'string' } },
  run: (ctx) =>
    withEngine(ctx, async (engine, images) => {
      const names = ctx.args.positionals;
      if (names.length === 0) throw new UsageError('image inspect needs an image name or ID');
      const details = names.map((name) => {
        const image = images.resolve(name);
        const manifest = engine.store.readJson<ImageManifest>(image.manifestDigest);
        const config = engine.store.readJson<ImageConfig>(image.id);
        const summary = images.list().find((item) => item.id === image.id)!;
        // The field names `docker image inspect` uses, so that scripts carry over.
        return {
          Id: image.id,
          RepoTags: summary.refs.map((ref) => familiarName(parseReference(ref))),
          RepoDigests: summary.repoDigests,
          Created: config.created ?? null,
          Author: config.author ?? '',
          Architecture: config.architecture,
          Variant: config.variant,
          Os: config.os,
          Size: image.size,
          Config: config.config ?? {},
          RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
          Manifest: {
            Digest: image.manifestDigest,
            MediaType: image.manifestMediaType,
            Layers: manifest.layers,
          },
          History: config.history ?? [],
        };
      });
      print(ctx.out, JSON.stringify(details, null, 2));
      return EXIT.ok;
    }),
};
