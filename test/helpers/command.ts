/**
 * Runs one command object in process the way src/cli/main.ts does (its flags parsed with
 * the global ones, errors printed and mapped to exit codes), for commands that are not
 * registered in main yet or that a test builds with its own options (a short interval,
 * an AbortSignal in place of SIGINT).
 */
import os from 'node:os';
import { Writable } from 'node:stream';
import { parseCommandArgs } from '../../src/cli/args.js';
import type { Command, CommandContext } from '../../src/cli/context.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { printError, type Output } from '../../src/cli/output.js';
import type { CliResult } from './cli.js';

export interface RunningCommand {
  done: Promise<CliResult>;
  /** What it has printed so far. */
  stdout: () => string;
  stderr: () => string;
}

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

/** `env` is laid over the process's environment in the command's context only. */
export function startCommand(
  command: Command,
  name: string,
  argv: string[],
  options: { cwd: string; env?: Record<string, string> },
): RunningCommand {
  const stdout = sink();
  const stderr = sink();
  const out: Output = { stdout, stderr, color: false, cwd: options.cwd };
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...options.env })) {
    if (value !== undefined) environment[key] = value;
  }
  const run = async (): Promise<number> => {
    try {
      const ctx: CommandContext = {
        args: parseCommandArgs(argv, command.options, name),
        out,
        cwd: options.cwd,
        environment,
        homeDir: os.homedir(),
        readStdin: async () => '',
      };
      return await command.run(ctx);
    } catch (error) {
      printError(out, error);
      return exitCodeFor(error);
    }
  };
  const done = run().then((code) => ({ code, stdout: stdout.text(), stderr: stderr.text() }));
  return { done, stdout: stdout.text, stderr: stderr.text };
}

export function runCommand(
  command: Command,
  name: string,
  argv: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CliResult> {
  return startCommand(command, name, argv, options).done;
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
