import { randomBytes } from 'node:crypto';
import { VolumeStore } from '../../../engine/volumes/store.js';
import { stringList, stringValue, UsageError } from '../../args.js';
import type { Command } from '../../context.js';
import { withEngine } from '../../engine.js';
import { EXIT } from '../../exit-codes.js';
import { print } from '../../output.js';
import { requireRoot } from '../../root.js';

export const volumeCreateCommand: Command = {
  summary: 'Create a volume (one a compose file names with external: true, say)',
  usage: [
    'tscompose volume create [OPTIONS] [VOLUME]',
    '',
    '  -d, --driver local      the only driver there is',
    '  -l, --label KEY=VALUE   a label, repeatable',
    '  -o, --opt KEY=VALUE     a local driver option: type, device, o (as for mount -t -o)',
  ].join('\n'),
  options: {
    driver: { type: 'string', short: 'd' },
    label: { type: 'string', short: 'l', multiple: true },
    opt: { type: 'string', short: 'o', multiple: true },
  },
  run: (ctx) => {
    requireRoot();
    const { values, positionals } = ctx.args;
    if (positionals.length > 1) {
      throw new UsageError('volume create takes one name', {
        hint: 'tscompose volume create data',
      });
    }
    const driver = stringValue(values.driver) ?? 'local';
    if (driver !== 'local') {
      throw new UsageError(`volume create: the driver "${driver}" is not there`, {
        hint: 'tscompose has the local driver only',
      });
    }
    const labels = pairs(stringList(values.label), '--label');
    const driverOpts = pairs(stringList(values.opt), '--opt');
    for (const key of Object.keys(driverOpts)) {
      if (!['type', 'device', 'o'].includes(key)) {
        throw new UsageError(`volume create: the local driver has no option "${key}"`, {
          hint: 'use --opt type=…, --opt device=… and --opt o=…, as for mount -t TYPE -o O DEVICE',
        });
      }
    }
    // Docker names an anonymous one with 64 hex digits.
    const name = positionals[0] ?? randomBytes(32).toString('hex');
    return withEngine(ctx, async (engine) => {
      const { volume } = new VolumeStore(engine).ensure(name, { labels, driverOpts });
      print(ctx.out, volume.name);
      return EXIT.ok;
    });
  },
};

function pairs(items: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    if (at <= 0) {
      throw new UsageError(`${flag} "${item}" is not KEY=VALUE`, { hint: `${flag} type=tmpfs` });
    }
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}
