import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

const CHUNK = 1 << 20;

/**
 * The complete lines of a file that another process appends to, in batches: first what it
 * holds, then each batch of new lines, until `signal` aborts. An unfinished last line is
 * held back until its newline arrives. A file that shrinks or is replaced (another inode)
 * is read again from its start; a file that does not exist yet is waited for.
 *
 * fs.watch on the directory wakes the reader early (it sees the file appear and be
 * renamed over, where a watch on the file would not); the poll is there because inotify
 * events can be missed, and costs one stat per interval.
 */
export async function* followLines(
  file: string,
  options: { signal: AbortSignal; pollMs?: number },
): AsyncGenerator<string[]> {
  const { signal } = options;
  const waker = new Waker(path.dirname(file), options.pollMs ?? 200, signal);
  let reader: { handle: FileHandle; ino: number; offset: number } | undefined;
  let rest = Buffer.alloc(0);
  let first = true;
  try {
    while (!signal.aborted) {
      const now = await stat(file).catch(() => undefined);
      if (now && (!reader || reader.ino !== now.ino || now.size < reader.offset)) {
        await reader?.handle.close();
        reader = { handle: await open(file, 'r'), ino: now.ino, offset: 0 };
        rest = Buffer.alloc(0);
      }
      const lines: string[] = [];
      if (reader) {
        for (;;) {
          const buffer = Buffer.alloc(CHUNK);
          const { bytesRead } = await reader.handle.read(buffer, 0, CHUNK, reader.offset);
          if (bytesRead === 0) break;
          reader.offset += bytesRead;
          rest = Buffer.concat([rest, buffer.subarray(0, bytesRead)]);
          const end = rest.lastIndexOf(0x0a);
          if (end < 0) continue;
          lines.push(...rest.subarray(0, end).toString('utf8').split('\n'));
          rest = rest.subarray(end + 1);
        }
      }
      if (first || lines.length > 0) yield lines;
      first = false;
      await waker.wait();
    }
  } finally {
    waker.close();
    await reader?.handle.close();
  }
}

/** Resolves `wait()` on a change in the directory, after the poll interval, or on abort. */
class Waker {
  private watcher: FSWatcher | undefined;
  private changed = false;
  private wake: (() => void) | undefined;
  private readonly onAbort = () => this.wake?.();

  constructor(
    private readonly dir: string,
    private readonly pollMs: number,
    private readonly signal: AbortSignal,
  ) {
    signal.addEventListener('abort', this.onAbort);
    this.rewatch();
  }

  async wait(): Promise<void> {
    if (this.signal.aborted) return;
    if (!this.watcher) this.rewatch();
    if (this.changed) {
      this.changed = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      this.wake = done;
    });
    this.changed = false;
  }

  close(): void {
    this.signal.removeEventListener('abort', this.onAbort);
    this.watcher?.close();
  }

  /** The directory may not exist yet: then the poll alone wakes the reader. */
  private rewatch(): void {
    try {
      this.watcher = watch(this.dir, () => {
        this.changed = true;
        this.wake?.();
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watcher = undefined;
    }
  }
}
