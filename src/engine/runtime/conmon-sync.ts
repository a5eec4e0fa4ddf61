import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { NotFoundError, RuntimeError } from '../../errors.js';

/**
 * conmon's sync pipe (fd 3, `_OCI_SYNCPIPE`) with API version 1: one JSON line,
 * `{"data": <pid>}` once the runtime has created the container, or
 * `{"data": -1, "message": "<the runtime's stderr>"}` when it failed.
 */
export interface Report {
  data?: number;
  message?: string;
}

/** The first line conmon writes on the sync pipe; `{}` when it closes the pipe without one. */
export function readReport(
  child: ChildProcess,
  sync: Readable,
  timeoutMs: number,
  onTimeout: () => void,
): Promise<Report> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      onTimeout();
      reject(
        new RuntimeError(`conmon did not report the container within ${timeoutMs} ms`, {
          hint: 'the runtime may be stuck (a hook, a mount); see ps -ef for runc create',
        }),
      );
    }, timeoutMs);
    const done = (report: Report) => {
      clearTimeout(timer);
      resolve(report);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT'
          ? new NotFoundError('conmon is not installed', {
              cause: error,
              hint: 'apt-get install conmon',
            })
          : error,
      );
    });
    sync.setEncoding('utf8');
    sync.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end >= 0) done(parseReport(text.slice(0, end)));
    });
    sync.on('error', () => done({}));
    sync.on('end', () => done(text.trim() === '' ? {} : parseReport(text)));
  });
}

export function parseReport(line: string): Report {
  try {
    const json = JSON.parse(line) as { data?: unknown; message?: unknown };
    return {
      data: typeof json.data === 'number' ? json.data : undefined,
      message: typeof json.message === 'string' ? json.message : undefined,
    };
  } catch {
    // An older conmon escapes less than JSON wants: take the number, and the rest as text.
    const data = /"data":\s*(-?\d+)/.exec(line)?.[1];
    return { data: data === undefined ? undefined : Number(data), message: line };
  }
}
