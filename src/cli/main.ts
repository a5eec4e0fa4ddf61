import { readFileSync } from 'node:fs';
import { GLOBAL_OPTIONS, parseCommandArgs, splitCommand, UsageError } from './args.js';
import type { Command } from './context.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { printError, type Output } from './output.js';

/**
 * Commands load on demand, so `tscompose --version` or `config` never pull in blessed,
 * the database or the engine.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  config: async () => (await import('./commands/config.js')).configCommand,
  graph: async () => (await import('./commands/graph.js')).graphCommand,
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
      out.stdout.write(await usage());
      return values.help ? EXIT.ok : EXIT.usage;
    }
    const load = COMMANDS[command];
    if (!load) {
      throw new UsageError(`unknown command "${command}"`, {
        hint: `commands: ${Object.keys(COMMANDS).sort().join(', ')}`,
      });
    }
    const spec = await load();
    const args = parseCommandArgs([...global, ...rest], spec.options, command);
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

function processOutput(): Output {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    color: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR,
    cwd: process.cwd(),
  };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}

async function usage(): Promise<string> {
  const lines = ['Usage: tscompose [OPTIONS] COMMAND', '', 'Commands:'];
  for (const name of Object.keys(COMMANDS).sort()) {
    const spec = await COMMANDS[name]!();
    lines.push(`  ${name.padEnd(10)} ${spec.summary}`);
  }
  lines.push('', 'Options:');
  for (const [name, spec] of Object.entries(GLOBAL_OPTIONS)) {
    const short = 'short' in spec ? `-${spec.short}, ` : '    ';
    lines.push(`  ${short}--${name}`);
  }
  return `${lines.join('\n')}\n`;
}
