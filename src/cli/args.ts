import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidError } from '../errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Flags every command accepts, before or after the command name, as in `docker compose`. */
export const GLOBAL_OPTIONS = {
  file: { type: 'string', short: 'f', multiple: true },
  'project-name': { type: 'string', short: 'p' },
  'project-directory': { type: 'string' },
  'env-file': { type: 'string', multiple: true },
  profile: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const satisfies OptionSpec;

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/**
 * Parses one command's arguments; an unknown flag is a usage error that names it. A
 * command's own short flag wins over a global one after the command name, as `login -p`
 * (password) does over `-p` (project name), which still works before the command.
 */
export function parseCommandArgs(
  args: string[],
  options: OptionSpec,
  command: string,
  global: string[] = [],
): ParsedArgs {
  const before = global.length > 0 ? parse(global, GLOBAL_OPTIONS, command) : undefined;
  const taken = new Set(Object.values(options).map((spec) => spec.short));
  const globals: OptionSpec = {};
  for (const [name, spec] of Object.entries(GLOBAL_OPTIONS)) {
    if (name in options) continue;
    const { short, ...rest } = spec as OptionSpec[string];
    globals[name] = !short || taken.has(short) ? rest : { ...rest, short };
  }
  const after = parse(args, { ...globals, ...options }, command);
  if (!before) return after;
  const values = { ...before.values };
  for (const [name, value] of Object.entries(after.values)) {
    const earlier = values[name];
    values[name] =
      Array.isArray(earlier) && Array.isArray(value) ? ([...earlier, ...value] as string[]) : value;
  }
  return { values, positionals: after.positionals };
}

function parse(args: string[], options: OptionSpec, command: string): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args,
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (cause) {
    const message = cause instanceof Error ? cause.message.split('\n')[0]! : String(cause);
    throw new UsageError(`${command}: ${message.replace(/\. To specify.*$/, '')}`, {
      hint: `see tscompose ${command} --help`,
    });
  }
}

/** A mistake on the command line rather than in a file: exit code 2, like most tools. */
export class UsageError extends InvalidError {}

/**
 * Splits the global flags that come before the command from the command and its own
 * arguments. A global flag's value may be the next word (`-f x.yaml`) or attached.
 */
export function splitCommand(argv: string[]): {
  global: string[];
  command?: string;
  rest: string[];
} {
  const valued = new Set([
    '-f',
    '--file',
    '-p',
    '--project-name',
    '--project-directory',
    '--env-file',
    '--profile',
  ]);
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (valued.has(arg)) {
      i += 1;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      return { global: argv.slice(0, i), command: arg, rest: argv.slice(i + 1) };
    }
  }
  return { global: argv, rest: [] };
}

export function stringList(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

export function stringValue(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
