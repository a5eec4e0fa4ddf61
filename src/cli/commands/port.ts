import { containersOf } from '../../stack/lifecycle.js';
import { NotFoundError } from '../../errors.js';
import { stringValue, UsageError } from '../args.js';
import type { Command } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { print } from '../output.js';
import { withStack } from '../stack.js';

export const portCommand: Command = {
  summary: 'Print the public port for a port binding',
  usage: [
    'tscompose port [OPTIONS] SERVICE PRIVATE_PORT',
    '',
    '  --protocol tcp|udp   (default tcp)',
    '  --index N            which replica (default 1)',
  ].join('\n'),
  options: {
    protocol: { type: 'string' },
    index: { type: 'string' },
  },
  run: (ctx) =>
    withStack(
      ctx,
      async ({ deps, project }) => {
        const [service, privatePort, ...extra] = ctx.args.positionals;
        const target = Number(privatePort);
        if (!service || !Number.isInteger(target) || extra.length > 0) {
          throw new UsageError('port needs a service and its private port', {
            hint: 'tscompose port web 80',
          });
        }
        const protocol = stringValue(ctx.args.values.protocol) ?? 'tcp';
        const index = Number(stringValue(ctx.args.values.index) ?? '1');
        const container = containersOf(deps, project, [service], { oneoff: false }).find(
          (c) => c.number === index && c.state === 'running',
        );
        const published = container?.ports.find(
          (p) => p.target === target && p.protocol === protocol,
        );
        if (!published) {
          throw new NotFoundError(`no port ${target}/${protocol} published for ${service}`, {
            hint: `publish it under services.${service}.ports, then tscompose up -d`,
          });
        }
        print(ctx.out, `${published.hostIp}:${published.hostPort}`);
        return EXIT.ok;
      },
      { quiet: true },
    ),
};
