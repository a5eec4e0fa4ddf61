import { splitShellWords } from '../../planner/normalize/shellwords.js';
import { runOneOff } from '../../stack/run.js';
import { stringList, stringValue, UsageError } from '../args.js';
import type { Command } from '../context.js';
import { envPairs } from '../env-flags.js';
import { EXIT } from '../exit-codes.js';
import { ensureKeeper } from '../keeper.js';
import { followContainers } from '../logs.js';
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
    '  -T, --no-TTY            accepted; run gives no terminal yet',
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
        });
        await keeperReady;
        await ensureKeeper(engine.paths, project.name);
        if (values.detach) {
          print(ctx.out, container.name);
          return EXIT.ok;
        }
        // Its output until it exits; then its exit code is ours, as with docker compose run.
        const controller = new AbortController();
        const exited = deps.manager.wait(container.id).finally(() => controller.abort());
        const interrupt = () => void deps.manager.stop(container.id, { timeoutMs: 10_000 });
        process.once('SIGINT', interrupt);
        try {
          await followContainers(ctx.out, deps.manager, [container], {
            signal: controller.signal,
            follow: true,
            prefix: false,
          });
          const code = await exited;
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
