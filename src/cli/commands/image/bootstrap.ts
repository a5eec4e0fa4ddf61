import { bootstrapBusybox, bootstrapDebian } from '../../../engine/image/bootstrap.js';
import { stringValue, UsageError } from '../../args.js';
import type { Command } from '../../context.js';
import { withEngine } from '../../engine.js';
import { EXIT } from '../../exit-codes.js';
import { print } from '../../output.js';

const USAGE = [
  'tscompose image bootstrap busybox [NAME[:TAG]]',
  'tscompose image bootstrap debian NAME[:TAG] [--suite SUITE] [--packages a,b] [--mirror URL]',
  '',
  "Base images with no registry, from the host's Debian packages:",
  '  busybox   from the static busybox binary (apt-get install busybox-static);',
  '            named busybox:latest unless NAME is given',
  '  debian    a minbase made by debootstrap (apt-get install debootstrap), with',
  '            --packages added: image bootstrap debian node:18-bookworm --packages nodejs',
  '',
  '  --suite SUITE      the Debian release (default bookworm)',
  '  --packages a,b     packages to add',
  "  --mirror URL       the Debian mirror (default the one in the host's apt sources)",
].join('\n');

export const bootstrapCommand: Command = {
  summary: "Make base images from the host's Debian packages (busybox, debian)",
  usage: USAGE,
  options: {
    suite: { type: 'string' },
    packages: { type: 'string' },
    mirror: { type: 'string' },
  },
  run: (ctx) =>
    withEngine(ctx, async (engine) => {
      const [kind, name, ...extra] = ctx.args.positionals;
      if (extra.length > 0 || (kind !== 'busybox' && kind !== 'debian')) {
        throw new UsageError(
          kind ? `image bootstrap: unknown kind "${kind}"` : 'image bootstrap needs a kind',
          { hint: 'tscompose image bootstrap busybox, or image bootstrap debian NAME' },
        );
      }
      if (kind === 'busybox') {
        const result = await bootstrapBusybox(engine, name ?? 'busybox:latest');
        print(ctx.out, `${result.ref} ${result.id}`);
        return EXIT.ok;
      }
      if (!name) {
        throw new UsageError('image bootstrap debian needs a name for the image', {
          hint: 'tscompose image bootstrap debian debian:bookworm',
        });
      }
      const packages = (stringValue(ctx.args.values.packages) ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
      const suite = stringValue(ctx.args.values.suite) ?? 'bookworm';
      const mirror = stringValue(ctx.args.values.mirror);
      ctx.out.stderr.write(
        `running debootstrap --variant=minbase ${suite}${packages.length ? ` with ${packages.join(', ')}` : ''} (a few minutes)\n`,
      );
      const result = await bootstrapDebian(engine, name, {
        suite,
        packages,
        ...(mirror ? { mirror } : {}),
      });
      print(ctx.out, `${result.ref} ${result.id}`);
      return EXIT.ok;
    }),
};
