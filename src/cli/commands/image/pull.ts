import { pullImage } from '../../../engine/registry/index.js';
import { UsageError } from '../../args.js';
import type { Command } from '../../context.js';
import { credentialStore, insecureRegistries } from '../../credentials.js';
import { platformOption, withEngine } from '../../engine.js';
import { EXIT } from '../../exit-codes.js';
import { print } from '../../output.js';
import { TransferDisplay } from '../../progress.js';

export const imagePullCommand: Command = {
  summary: 'Pull an image from a registry',
  usage: [
    'tscompose image pull [OPTIONS] NAME[:TAG|@DIGEST]',
    '',
    '  --platform OS/ARCH[/VARIANT]   the platform to choose from a multi-platform image',
    '  -q, --quiet                    print only the image name',
  ].join('\n'),
  options: {
    platform: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
  run: (ctx) =>
    withEngine(ctx, async (engine) => {
      const [reference, ...extra] = ctx.args.positionals;
      if (!reference || extra.length > 0) {
        throw new UsageError('image pull needs exactly one image', {
          hint: 'tscompose image pull 127.0.0.1:5000/team/app:1.2',
        });
      }
      const display = ctx.args.values.quiet ? undefined : new TransferDisplay(ctx.out, 'pull');
      let transferred = 0;
      const result = await pullImage(engine, reference, {
        platform: platformOption(ctx),
        credentials: credentialStore(ctx),
        insecureRegistries: insecureRegistries(ctx),
        onProgress: (event) => {
          if (event.type === 'done') transferred = event.transferred;
          display?.listener(event);
        },
      });
      display?.finish();
      if (display) {
        const status = transferred > 0 ? 'Downloaded newer image for' : 'Image is up to date for';
        ctx.out.stderr.write(`Digest: ${result.digest}\nStatus: ${status} ${result.ref}\n`);
      }
      print(ctx.out, result.ref);
      return EXIT.ok;
    }),
};
