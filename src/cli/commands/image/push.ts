import { pushImage } from '../../../engine/registry/index.js';
import { UsageError } from '../../args.js';
import type { Command } from '../../context.js';
import { credentialStore, insecureRegistries } from '../../credentials.js';
import { withEngine } from '../../engine.js';
import { EXIT } from '../../exit-codes.js';
import { print } from '../../output.js';
import { TransferDisplay } from '../../progress.js';

export const imagePushCommand: Command = {
  summary: 'Push an image to a registry',
  usage: [
    'tscompose image push [OPTIONS] NAME[:TAG] [TARGET]',
    '',
    "  TARGET         push under another name (default: the image's own)",
    '  -q, --quiet    print only the digest line',
  ].join('\n'),
  options: {
    quiet: { type: 'boolean', short: 'q' },
  },
  run: (ctx) =>
    withEngine(ctx, async (engine) => {
      const [source, target, ...extra] = ctx.args.positionals;
      if (!source || extra.length > 0) {
        throw new UsageError('image push needs an image, and at most one target', {
          hint: 'tscompose image push 127.0.0.1:5000/team/app:1.2',
        });
      }
      const display = ctx.args.values.quiet ? undefined : new TransferDisplay(ctx.out, 'push');
      const result = await pushImage(engine, source, target, {
        credentials: credentialStore(ctx),
        insecureRegistries: insecureRegistries(ctx),
        onProgress: display?.listener,
      });
      display?.finish();
      print(ctx.out, `${result.ref}: digest: ${result.digest} size: ${result.size}`);
      return EXIT.ok;
    }),
};
