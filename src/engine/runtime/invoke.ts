import { spawn, type ChildProcess } from 'node:child_process';
import { UnsupportedError } from '../../errors.js';
import type { RuntimeBinary } from './choose.js';

export interface Invocation {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * How long to wait for a child's pipes to close once it has exited. Something it started
 * (a container process, a probe's background child) may hold them open for ever; the
 * exit is what counts, the pipes are then cut.
 */
const DRAIN_MS = 200;

/** Runs the runtime with `args` and waits for it: for the short commands (state, kill…). */
export async function invoke(binary: RuntimeBinary, args: string[]): Promise<Invocation> {
  const child = spawn(binary.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = new BoundedText();
  const stderr = new BoundedText();
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const { code, signal } = await ended(child, binary);
  return { code, signal, stdout: stdout.text(), stderr: stderr.text() };
}

/** The child's exit; its pipes are given DRAIN_MS to close, then destroyed. */
export function ended(
  child: ChildProcess,
  binary: RuntimeBinary,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let drain: NodeJS.Timeout | undefined;
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') return reject(error);
      reject(
        new UnsupportedError(`${binary.name} is not installed at ${binary.path}`, {
          cause: error,
          hint: `apt-get install ${binary.name}`,
        }),
      );
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      drain = setTimeout(() => {
        for (const stream of [child.stdout, child.stderr]) stream?.destroy();
        resolve({ code, signal });
      }, DRAIN_MS);
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(drain);
      resolve(exit ?? { code, signal });
    });
  });
}

/** Keeps the last `limit` bytes of a stream: a chatty process cannot fill the memory. */
export class BoundedText {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = 64 * 1024) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0]!.length >= this.limit) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}

/**
 * The message of a runc or crun error. runc logs as logrus text
 * (`time="…" level=error msg="…"`), crun as plain lines; warnings are dropped when an
 * error is there.
 */
export function runtimeMessage(stderr: string): string {
  const errors: string[] = [];
  for (const line of stderr.split('\n')) {
    const match = /level=(\w+) msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (match && (match[1] === 'error' || match[1] === 'fatal')) errors.push(unquote(match[2]!));
  }
  if (errors.length > 0) return errors.join('; ');
  return stderr.trim().replace(/\s*\n\s*/g, '; ') || 'no message';
}

function unquote(text: string): string {
  return text.replace(/\\(.)/g, (_, char: string) =>
    char === 'n' ? '\n' : char === 't' ? '\t' : char,
  );
}

/** runc (`container does not exist`) and crun (no status file) say this of an unknown ID. */
export function isUnknownContainer(message: string): boolean {
  return /container does not exist|status['`"]?: no such file or directory/i.test(message);
}
