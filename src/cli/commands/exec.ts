import { spawn } from 'node:child_process';
import { InvalidError } from '../../errors.js';
import { containersOf } from '../../stack/lifecycle.js';
import { stringList, stringValue, UsageError } from '../args.js';
import type { Command } from '../context.js';
import { envPairs } from '../env-flags.js';
import { EXIT } from '../exit-codes.js';
import { withStack } from '../stack.js';

export const execCommand: Command = {
  summary: 'Run a command in a running container',
  usage: [
    'tscompose exec [OPTIONS] SERVICE COMMAND [ARG...]',
    '',
    '  -T, --no-TTY          no terminal (the default when stdin is not one)',
    '  -u, --user USER[:GROUP]  run as this user (a name in the image, or a uid)',
    '  -w, --workdir DIR     run in this directory',
    '  -e, --env KEY=VALUE   set a variable, repeatable',
    '  --index N             which replica (default 1)',
  ].join('\n'),
  rawAfter: 1,
  options: {
    'no-TTY': { type: 'boolean', short: 'T' },
    user: { type: 'string', short: 'u' },
    workdir: { type: 'string', short: 'w' },
    env: { type: 'string', short: 'e', multiple: true },
    index: { type: 'string' },
  },
  run: (ctx) =>
    withStack(
      ctx,
      async ({ deps, project }) => {
        const { values, positionals } = ctx.args;
        const [service, ...command] = positionals;
        if (!service || command.length === 0) {
          throw new UsageError('exec needs a service and a command', {
            hint: 'tscompose exec web sh',
          });
        }
        const index = Number(stringValue(values.index) ?? '1');
        const container = containersOf(deps, project, [service], { oneoff: false }).find(
          (c) => c.number === index,
        );
        if (!container || container.state !== 'running') {
          throw new InvalidError(`service "${service}" is not running`, {
            hint: `tscompose up -d ${service}`,
          });
        }
        const tty = !values['no-TTY'] && Boolean(process.stdin.isTTY);
        const line = deps.manager.execCommandLine(container.id, command, {
          tty,
          user: stringValue(values.user),
          cwd: stringValue(values.workdir),
          env: envPairs(stringList(values.env), ctx.environment),
        });
        try {
          // A terminal is handed over whole; without one, output goes through ours, so
          // that it lands where the rest of this command's output does.
          const child = spawn(line.command, line.args, {
            stdio: tty ? 'inherit' : ['inherit', 'pipe', 'pipe'],
          });
          child.stdout?.pipe(ctx.out.stdout, { end: false });
          child.stderr?.pipe(ctx.out.stderr, { end: false });
          return await new Promise<number>((resolve, reject) => {
            child.once('error', reject);
            child.once('close', (code, signal) =>
              resolve(code ?? (signal ? 128 + 9 : EXIT.runtime)),
            );
          });
        } finally {
          line.done();
        }
      },
      { quiet: true },
    ),
};
