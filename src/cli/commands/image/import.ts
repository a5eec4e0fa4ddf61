import path from 'node:path';
import { importRootfs } from '../../../engine/image/import.js';
import { stringList, stringValue, UsageError } from '../../args.js';
import type { Command } from '../../context.js';
import { platformOption, withEngine } from '../../engine.js';
import { EXIT } from '../../exit-codes.js';
import { print } from '../../output.js';

export const importCommand: Command = {
  summary: 'Make a one-layer image from a root file system (a tar or a directory)',
  usage: [
    'tscompose image import [OPTIONS] FILE|DIR [NAME[:TAG]]',
    '',
    "  -c, --change 'INSTR …'   a Dockerfile instruction for the config: CMD, ENTRYPOINT, ENV,",
    '                           EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL, ONBUILD',
    '  -m, --message TEXT       the history comment',
    "  --platform OS/ARCH       the platform to record (default the host's)",
  ].join('\n'),
  options: {
    change: { type: 'string', short: 'c', multiple: true },
    message: { type: 'string', short: 'm' },
    platform: { type: 'string' },
  },
  run: (ctx) =>
    withEngine(ctx, async (engine) => {
      const [source, name, ...extra] = ctx.args.positionals;
      if (!source || extra.length > 0) {
        throw new UsageError('image import needs a file or directory, and at most one name', {
          hint: 'tscompose image import rootfs.tar myapp:1 -c \'CMD ["/app"]\'',
        });
      }
      const platform = platformOption(ctx);
      const message = stringValue(ctx.args.values.message);
      const result = await importRootfs(engine, path.resolve(ctx.cwd, source), name, {
        changes: stringList(ctx.args.values.change),
        ...(message !== undefined ? { message } : {}),
        ...(platform ? { platform } : {}),
      });
      print(ctx.out, result.id);
      return EXIT.ok;
    }),
};
