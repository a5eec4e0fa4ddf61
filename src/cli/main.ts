import { readFileSync } from 'node:fs';
import { GLOBAL_OPTIONS, parseCommandArgs, splitCommand, UsageError } from './args.js';
import type { Command, CommandGroup } from './context.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { printError, type Output } from './output.js';

type Entry = () => Promise<Command | CommandGroup>;

/**
 * Commands load on demand, so `tscompose --version` or `config` never pull in blessed,
 * the database or the engine.
 */
const COMMANDS: Record<string, Entry> = {
  config: async () => (await import('./commands/config.js')).configCommand,
  graph: async () => (await import('./commands/graph.js')).graphCommand,
  image: async () => (await import('./commands/image/index.js')).imageGroup,
  login: async () => (await import('./commands/login.js')).loginCommand,
  logout: async () => (await import('./commands/login.js')).logoutCommand,
  pull: async () => (await import('./commands/pull.js')).pullCommand,
  up: async () => (await import('./commands/up.js')).upCommand,
  down: async () => (await import('./commands/down.js')).downCommand,
  ps: async () => (await import('./commands/ps.js')).psCommand,
  logs: async () => (await import('./commands/logs.js')).logsCommand,
  start: async () => (await import('./commands/lifecycle.js')).startCommand,
  stop: async () => (await import('./commands/lifecycle.js')).stopCommand,
  restart: async () => (await import('./commands/lifecycle.js')).restartCommand,
  kill: async () => (await import('./commands/lifecycle.js')).killCommand,
  pause: async () => (await import('./commands/lifecycle.js')).pauseCommand,
  unpause: async () => (await import('./commands/lifecycle.js')).unpauseCommand,
  exec: async () => (await import('./commands/exec.js')).execCommand,
  run: async () => (await import('./commands/run.js')).runCommand,
  wait: async () => (await import('./commands/lifecycle.js')).waitCommand,
  keeper: async () => (await import('./commands/keeper.js')).keeperCommand,
  stats: async () => (await import('./commands/stats.js')).statsCommand,
  top: async () => (await import('./commands/top.js')).topCommand,
  events: async () => (await import('./commands/events.js')).eventsCommand,
  ls: async () => (await import('./commands/ls.js')).lsCommand,
  port: async () => (await import('./commands/port.js')).portCommand,
  cp: async () => (await import('./commands/cp.js')).cpCommand,
  volume: async () => (await import('./commands/volume/index.js')).volumeGroup,
  push: async () => (await import('./commands/push.js')).pushCommand,
  version: async () => versionCommand,
};

const versionCommand: Command = {
  summary: 'Show the tscompose version',
  usage: 'tscompose version',
  options: {},
  run: async (ctx) => {
    ctx.out.stdout.write(`tscompose version ${version()}\n`);
    return EXIT.ok;
  },
};

export async function main(argv: string[], out: Output = processOutput()): Promise<number> {
  try {
    const { global, command, rest } = splitCommand(argv);
    if (!command) {
      const { values } = parseCommandArgs(global, {}, 'tscompose');
      if (values.version) {
        out.stdout.write(`tscompose version ${version()}\n`);
        return EXIT.ok;
      }
      out.stdout.write(await usage(COMMANDS, 'tscompose [OPTIONS] COMMAND'));
      return values.help ? EXIT.ok : EXIT.usage;
    }
    const resolved = await resolve(command, rest);
    if ('listing' in resolved) {
      // A group alone, or with --help, lists its commands, as `docker image` does.
      out.stdout.write(resolved.listing);
      return EXIT.ok;
    }
    const { spec, name, args: commandArgs } = resolved;
    const [own, raw] = splitRaw(commandArgs, spec);
    const args = parseCommandArgs(own, spec.options, name, global);
    args.positionals.push(...raw);
    if (args.values.help) {
      out.stdout.write(`${spec.usage}\n\n${spec.summary}\n`);
      return EXIT.ok;
    }
    const { processContext } = await import('./context.js');
    return await spec.run(processContext(args, out));
  } catch (error) {
    printError(out, error);
    return exitCodeFor(error);
  }
}

/** `image ls` is the `ls` of the `image` group; a group alone prints its commands. */
async function resolve(
  command: string,
  rest: string[],
): Promise<{ spec: Command; name: string; args: string[] } | { listing: string }> {
  const entry = COMMANDS[command];
  if (!entry) {
    throw new UsageError(`unknown command "${command}"`, {
      hint: `commands: ${Object.keys(COMMANDS).sort().join(', ')}`,
    });
  }
  const spec = await entry();
  if (!('commands' in spec)) return { spec, name: command, args: rest };

  const at = rest.findIndex((arg) => !arg.startsWith('-'));
  const sub = at >= 0 ? rest[at]! : undefined;
  const subEntry = sub ? spec.commands[sub] : undefined;
  if (!sub) return { listing: await usage(spec.commands, `tscompose ${command} COMMAND`) };
  if (!subEntry) {
    throw new UsageError(`unknown command "${command} ${sub}"`, {
      hint: `${command} has: ${Object.keys(spec.commands).sort().join(', ')}`,
    });
  }
  const args = [...rest.slice(0, at), ...rest.slice(at + 1)];
  return { spec: await subEntry(), name: `${command} ${sub}`, args };
}

/**
 * `exec web ls -la`: after its first `rawAfter` positionals a command's words are the
 * container's, not flags for tscompose, so they are kept out of the option parser.
 */
function splitRaw(args: string[], spec: Command): [string[], string[]] {
  if (spec.rawAfter === undefined) return [args, []];
  let seen = 0;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--') return [args.slice(0, i), args.slice(i + 1)];
    if (arg.startsWith('-') && arg !== '-') {
      const name = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
      const option = Object.entries({ ...GLOBAL_OPTIONS, ...spec.options }).find(
        ([long, o]) => long === name || ('short' in o && o.short === name),
      );
      if (option && option[1].type === 'string' && !arg.includes('=')) i += 1;
      continue;
    }
    seen += 1;
    if (seen === spec.rawAfter) return [args.slice(0, i + 1), args.slice(i + 1)];
  }
  return [args, []];
}

function processOutput(): Output {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    color: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR,
    tty: Boolean(process.stderr.isTTY),
    cwd: process.cwd(),
  };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}

async function usage(
  commands: Record<string, () => Promise<Command | CommandGroup>>,
  synopsis: string,
): Promise<string> {
  const lines = [`Usage: ${synopsis}`, '', 'Commands:'];
  for (const name of Object.keys(commands).sort()) {
    const spec = await commands[name]!();
    lines.push(`  ${name.padEnd(10)} ${spec.summary}`);
  }
  if (commands === COMMANDS) {
    lines.push('', 'Options:');
    for (const [name, spec] of Object.entries(GLOBAL_OPTIONS)) {
      const short = 'short' in spec ? `-${spec.short}, ` : '    ';
      lines.push(`  ${short}--${name}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
