import { existsSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../errors.js';

export interface ContainerExit {
  /** As a shell reports it: 128 + the signal's number for a container killed by one. */
  exitCode: number;
  oomKilled: boolean;
  /** When conmon wrote the exit file (ISO 8601). */
  finishedAt: string;
}

/**
 * The exit conmon recorded for a container, or undefined while it runs. Conmon writes
 * `<exitDir>/<id>` with a rename, after `<persistDir>/oom` (on an OOM kill) and
 * `<persistDir>/exit`: once the exit file is there, the rest is too.
 */
export function readExit(
  exitDir: string,
  persistDir: string,
  id: string,
): ContainerExit | undefined {
  const file = path.join(exitDir, id);
  let text: string;
  let finishedAt: string;
  try {
    text = readFileSync(file, 'utf8');
    finishedAt = statSync(file).mtime.toISOString();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const exitCode = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(exitCode)) {
    throw new RuntimeError(`the exit file ${file} holds "${text.trim()}", not an exit code`, {
      hint: 'it was not written by conmon; remove it and start the container again',
    });
  }
  return { exitCode, oomKilled: existsSync(path.join(persistDir, 'oom')), finishedAt };
}

export interface WaitOptions {
  signal?: AbortSignal;
  /**
   * The container's conmon: when it is gone and no exit was recorded, nothing will write
   * one (conmon was killed), and the wait fails instead of lasting forever.
   */
  conmonPid?: number;
  /** A poll besides fs.watch, which can miss an event on some file systems. */
  pollMs?: number;
}

/** Resolves with the container's exit once conmon records it; rejects when `signal` aborts. */
export async function waitForExit(
  exitDir: string,
  persistDir: string,
  id: string,
  options: WaitOptions = {},
): Promise<ContainerExit> {
  const { signal, conmonPid, pollMs = 250 } = options;
  let wake: () => void = () => undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(exitDir, () => wake());
    watcher.on('error', () => undefined);
  } catch {
    // No directory to watch yet: polling alone will see the file.
  }
  const onAbort = () => wake();
  signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      signal?.throwIfAborted();
      const exit = readExit(exitDir, persistDir, id);
      if (exit) return exit;
      if (conmonPid !== undefined && !isAlive(conmonPid)) {
        // It may have written the file between the two looks.
        const last = readExit(exitDir, persistDir, id);
        if (last) return last;
        throw new RuntimeError(`conmon (pid ${conmonPid}) of container ${id} is gone`, {
          hint: 'it was killed before the container exited; the exit code is lost',
        });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    watcher?.close();
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Whether a pid names a live process (a zombie has exited: it is not). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name, which is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
