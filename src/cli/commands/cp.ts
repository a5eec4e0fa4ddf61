import { resolve } from 'node:path';
import { InvalidError } from '../../errors.js';
import { containersOf } from '../../stack/lifecycle.js';
import { stringValue, UsageError } from '../args.js';
import type { Command } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { withStack } from '../stack.js';

export const cpCommand: Command = {
  summary: 'Copy files between a service container and the host',
  usage: [
    'tscompose cp [OPTIONS] SERVICE:SRC_PATH DEST_PATH',
    'tscompose cp [OPTIONS] SRC_PATH SERVICE:DEST_PATH',
    '',
    '  --index N   which replica (default 1)',
  ].join('\n'),
  options: { index: { type: 'string' } },
  run: (ctx) =>
    withStack(
      ctx,
      async ({ deps, project }) => {
        const [source, destination, ...extra] = ctx.args.positionals;
        if (!source || !destination || extra.length > 0) {
          throw new UsageError('cp needs a source and a destination, one of them SERVICE:PATH', {
            hint: 'tscompose cp web:/etc/hosts ./hosts',
          });
        }
        const from = splitService(source);
        const to = splitService(destination);
        if (Boolean(from) === Boolean(to)) {
          throw new UsageError('cp copies between the host and one container', {
            hint: 'name the service on exactly one side: SERVICE:PATH',
          });
        }
        const side = (from ?? to)!;
        const index = Number(stringValue(ctx.args.values.index) ?? '1');
        const container = containersOf(deps, project, [side.service], { oneoff: false }).find(
          (c) => c.number === index,
        );
        if (!container) {
          throw new InvalidError(`service "${side.service}" has no container ${index}`, {
            hint: `tscompose up -d ${side.service}`,
          });
        }
        const host = resolve(ctx.cwd, from ? destination : source);
        await deps.manager.copy(container.id, from ? 'out' : 'in', side.path, host);
        return EXIT.ok;
      },
      { quiet: true },
    ),
};

/** `web:/etc/hosts` → the service and its path; a host path (no colon before a /) → undefined. */
function splitService(text: string): { service: string; path: string } | undefined {
  const match = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*):(\/.*)$/.exec(text);
  return match ? { service: match[1]!, path: match[2]! } : undefined;
}
