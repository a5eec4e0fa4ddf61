import { spawn } from 'node:child_process';
import { RuntimeError, UnsupportedError } from '../../errors.js';

export interface ToolRun {
  /** The Debian package that provides the command, for the hint when it is missing. */
  package: string;
  cwd?: string;
  input?: string;
}

/**
 * Runs one of the few host tools the engine needs where Node has no system call (mknod,
 * setxattr, mount), and waits for it. Its stderr becomes the error message.
 */
export async function runTool(command: string, args: string[], run: ToolRun): Promise<void> {
  const child = spawn(command, args, { cwd: run.cwd, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    if (stderr.length < 4096) stderr += text;
  });
  const ended = exitOf(child);
  // A tool that fails early closes its stdin; the exit code tells the story, not EPIPE.
  child.stdin.on('error', () => undefined);
  child.stdin.end(run.input ?? '');
  const { error, code, signal } = await ended;
  if (error) throw missingTool(command, run.package, error);
  if (code !== 0) {
    const status = signal ? `signal ${signal}` : `exit code ${code}`;
    throw new RuntimeError(`${command} failed (${status}): ${stderr.trim() || 'no message'}`, {
      hint: `the command was: ${command} ${args.join(' ')}`,
    });
  }
}

export interface Exit {
  error?: Error;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** How a child ended; a child that could not start ends with `error`. */
export function exitOf(child: ReturnType<typeof spawn>): Promise<Exit> {
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ error, code: null, signal: null }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

export function missingTool(command: string, pkg: string, cause: Error): Error {
  if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') return cause;
  return new UnsupportedError(`${command} is not installed`, {
    cause,
    hint: `install the ${pkg} package (apt-get install ${pkg})`,
  });
}
