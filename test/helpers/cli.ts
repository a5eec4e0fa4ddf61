/** Runs the CLI in process, as a user would from a shell, and captures what it prints. */
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
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

/** `env` is laid over the process environment for this one run (the CLI reads it there). */
export async function runCli(
  argv: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const stdout = sink();
  const stderr = sink();
  const saved = { ...process.env };
  Object.assign(process.env, options.env ?? {});
  try {
    const code = await main(argv, {
      stdout,
      stderr,
      color: false,
      cwd: options.cwd ?? process.cwd(),
    });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}
