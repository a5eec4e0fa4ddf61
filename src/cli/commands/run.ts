import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { isatty } from 'node:tty';
import { splitShellWords } from '../../planner/normalize/shellwords.js';
import { runOneOff } from '../../stack/run.js';
import { stringList, stringValue, UsageError } from '../args.js';
import type { Command } from '../context.js';
import { envPairs } from '../env-flags.js';
import { EXIT } from '../exit-codes.js';
import { ensureKeeper } from '../keeper.js';
import { print } from '../output.js';
import { withStack } from '../stack.js';

export const runCommand: Command = {
  summary: 'Run a one-off command in a new container of a service',
  usage: [
    'tscompose run [OPTIONS] SERVICE [COMMAND] [ARG...]',
    '',
    '  -d, --detach            run in the background and print the container name',
    '  --rm                    remove the container when it exits',
    '  -e, --env KEY=VALUE     set a variable, repeatable',
    '  --entrypoint CMD        override the entrypoint ("" clears it)',
    '  -u, --user USER         run as this user',
    '  -w, --workdir DIR       run in this directory',
    '  --name NAME             the container name',
    '  --no-deps               do not start the services it depends on',
    '  -T, --no-TTY            no terminal, even when this command has one',
  ].join('\n'),
  rawAfter: 1,
  options: {
    detach: { type: 'boolean', short: 'd' },
    rm: { type: 'boolean' },
    env: { type: 'string', short: 'e', multiple: true },
    entrypoint: { type: 'string' },
    user: { type: 'string', short: 'u' },
    workdir: { type: 'string', short: 'w' },
    name: { type: 'string' },
    'no-deps': { type: 'boolean' },
    'no-TTY': { type: 'boolean', short: 'T' },
  },
  run: (ctx) => {
    const { values, positionals } = ctx.args;
    const [service, ...command] = positionals;
    if (!service) throw new UsageError('run needs a service', { hint: 'tscompose run web sh' });
    if (values.detach && values.rm) {
      throw new UsageError('run: --rm and -d cannot be used together', { hint: 'drop one' });
    }
    return withStack(
      ctx,
      async ({ deps, project, graph, engine }) => {
        // The keeper serves the names on the networks and supervises what run starts.
        const keeperReady = ensureKeeper(engine.paths, project.name);
        keeperReady.catch(() => undefined);
        const container = await runOneOff(deps, project, graph, {
          service,
          command,
          entrypoint: entrypointOf(stringValue(values.entrypoint)),
          env: envPairs(stringList(values.env), ctx.environment),
          user: stringValue(values.user),
          workingDir: stringValue(values.workdir),
          name: stringValue(values.name),
          withDependencies: !values['no-deps'],
          start: Boolean(values.detach),
        });
        await keeperReady;
        await ensureKeeper(engine.paths, project.name);
        if (values.detach) {
          print(ctx.out, container.name);
          return EXIT.ok;
        }
        // In front of us, with our stdin (and our terminal, when there is one) as Docker
        // Compose runs it; its exit code is ours.
        const tty = !values['no-TTY'] && isatty(0) && isatty(1);
        const attached = await deps.manager.attach(container.id, { tty });
        const interrupt = () => void deps.manager.stop(container.id, { timeoutMs: 10_000 });
        process.on('SIGINT', interrupt);
        try {
          const child = spawn(attached.command, attached.args, {
            // With a terminal the container's stderr is the terminal too; the runtime's
            // own is piped, so that a failed start is said once, as our error.
            stdio: tty ? ['inherit', 'inherit', 'pipe'] : ['inherit', 'pipe', 'pipe'],
          });
          if (child.pid !== undefined) attached.started(child.pid);
          child.stdout?.on('data', (chunk: Buffer) => {
            ctx.out.stdout.write(chunk);
            attached.log.write('stdout', chunk);
          });
          child.stderr?.on('data', (chunk: Buffer) => {
            if (attached.isRuntimeFailure(chunk)) return;
            ctx.out.stderr.write(chunk);
            attached.log.write('stderr', chunk);
          });
          const code = await new Promise<number>((resolve, reject) => {
            child.once('error', reject);
            child.once('close', (status, signal) =>
              resolve(status ?? (signal ? 128 + (osConstants.signals[signal] ?? 9) : EXIT.runtime)),
            );
          });
          attached.log.close();
          await attached.finished(code);
          return code;
        } finally {
          process.off('SIGINT', interrupt);
          if (values.rm) await deps.manager.remove(container.id, { force: true });
        }
      },
      { services: [service], quiet: true },
    );
  },
};

function entrypointOf(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const split = splitShellWords(text);
  if (!split.ok) {
    throw new UsageError(`run --entrypoint "${text}": ${split.reason}`, {
      hint: 'quote it as a shell would',
    });
  }
  return split.words;
}
