import { VolumeStore } from '../../../engine/volumes/store.js';
import { UsageError } from '../../args.js';
import type { Command } from '../../context.js';
import { withEngine } from '../../engine.js';
import { EXIT } from '../../exit-codes.js';
import { print } from '../../output.js';
import { requireRoot } from '../../root.js';
import { volumeUsers } from './usage.js';

export const volumeRmCommand: Command = {
  summary: 'Remove volumes (refused while a container uses one)',
  usage: 'tscompose volume rm VOLUME...',
  options: {},
  run: (ctx) => {
    requireRoot();
    if (ctx.args.positionals.length === 0) {
      throw new UsageError('volume rm needs a volume', { hint: 'tscompose volume ls' });
    }
    return withEngine(ctx, async (engine) => {
      const store = new VolumeStore(engine);
      const users = volumeUsers(engine);
      for (const name of ctx.args.positionals) {
        store.remove(name, users.get(name) ?? []);
        print(ctx.out, name);
      }
      return EXIT.ok;
    });
  },
};

export const volumePruneCommand: Command = {
  summary: 'Remove every volume no container uses',
  usage: 'tscompose volume prune [-a]',
  options: { all: { type: 'boolean', short: 'a' } },
  run: (ctx) => {
    requireRoot();
    return withEngine(ctx, async (engine) => {
      const store = new VolumeStore(engine);
      const users = volumeUsers(engine);
      const removed: string[] = [];
      for (const volume of store.list()) {
        if (users.has(volume.name)) continue;
        // As Docker since 23: without -a only anonymous volumes go.
        if (!ctx.args.values.all && !volume.name.includes('_anon_')) continue;
        store.remove(volume.name);
        removed.push(volume.name);
      }
      print(
        ctx.out,
        removed.length ? `Deleted Volumes:\n${removed.join('\n')}` : 'Total reclaimed: none',
      );
      return EXIT.ok;
    });
  },
};
