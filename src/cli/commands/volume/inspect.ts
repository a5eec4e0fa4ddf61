import { NotFoundError } from '../../../errors.js';
import { VolumeStore } from '../../../engine/volumes/store.js';
import { UsageError } from '../../args.js';
import type { Command } from '../../context.js';
import { withEngine } from '../../engine.js';
import { EXIT } from '../../exit-codes.js';
import { print } from '../../output.js';
import { requireRoot } from '../../root.js';
import { volumeJson } from './usage.js';

export const volumeInspectCommand: Command = {
  summary: 'Display detailed information on volumes',
  usage: 'tscompose volume inspect VOLUME...',
  options: {},
  run: (ctx) => {
    requireRoot();
    if (ctx.args.positionals.length === 0) {
      throw new UsageError('volume inspect needs a volume', { hint: 'tscompose volume ls' });
    }
    return withEngine(ctx, async (engine) => {
      const store = new VolumeStore(engine);
      const found = ctx.args.positionals.map((name) => {
        const volume = store.find(name);
        if (!volume)
          throw new NotFoundError(`no such volume: ${name}`, { hint: 'tscompose volume ls' });
        return volumeJson(volume);
      });
      print(ctx.out, JSON.stringify(found, null, 2));
      return EXIT.ok;
    });
  },
};
