import os from 'node:os';
import type { LoadOptions } from '../planner/loader.js';
import { stringList, stringValue, type OptionSpec, type ParsedArgs } from './args.js';
import type { Output } from './output.js';

/** What a command runs with. The process's environment is read here and nowhere deeper. */
export interface CommandContext {
  args: ParsedArgs;
  out: Output;
  cwd: string;
  environment: Record<string, string>;
  homeDir: string;
  /** Reads all of standard input; only called when a file is `-`. */
  readStdin: () => Promise<string>;
}

export interface Command {
  summary: string;
  usage: string;
  options: OptionSpec;
  /** After this many positionals the rest are the command's to pass on (`exec web ls -la`). */
  rawAfter?: number;
  run: (ctx: CommandContext) => Promise<number>;
}

/** `tscompose image …`: commands under one name. */
export interface CommandGroup {
  summary: string;
  commands: Record<string, () => Promise<Command>>;
}

export function processContext(args: ParsedArgs, out: Output): CommandContext {
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined) environment[key] = value;
  }
  return {
    args,
    out,
    cwd: out.cwd ?? process.cwd(),
    environment,
    homeDir: os.homedir(),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** The planner's options from the global flags: `-f`, `-p`, `--profile`, `--env-file`… */
export async function loadOptions(
  ctx: CommandContext,
  services: string[] = [],
): Promise<LoadOptions> {
  const files = stringList(ctx.args.values.file);
  return {
    cwd: ctx.cwd,
    files,
    stdin: files.includes('-') ? await ctx.readStdin() : undefined,
    projectDirectory: stringValue(ctx.args.values['project-directory']),
    projectName: stringValue(ctx.args.values['project-name']),
    envFiles: stringList(ctx.args.values['env-file']),
    profiles: stringList(ctx.args.values.profile),
    services,
    environment: ctx.environment,
    homeDir: ctx.homeDir,
  };
}
