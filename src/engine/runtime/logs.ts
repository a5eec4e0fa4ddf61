import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { followLines } from './log-follow.js';

/**
 * Container logs as conmon writes them (`-l k8s-file:PATH`), the CRI format: one record a
 * line, `<RFC3339Nano> <stdout|stderr> <F|P> <text>`. conmon cuts a long line, or output
 * without a newline yet, into `P` (partial) records ended by an `F` (full) one.
 */
export interface LogLine {
  /** RFC3339Nano as conmon wrote it: `2024-05-01T10:00:00.123456789+00:00`. */
  time: string;
  stream: 'stdout' | 'stderr';
  /** Partial records joined with the ones that follow until the full one. */
  text: string;
}

export interface LogRecord {
  time: string;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  text: string;
}

const RECORD = /^(\S+) (stdout|stderr) (\S+)(?: ([^]*))?$/;

/** One record of the file (without its newline); undefined for a line that is not one. */
export function parseLogLine(line: string): LogRecord | undefined {
  const match = RECORD.exec(line);
  if (!match || Number.isNaN(logTime(match[1]!))) return undefined;
  // Tags are `:`-separated in the CRI format; only P has a meaning today.
  const partial = match[3]!.split(':').includes('P');
  return {
    time: match[1]!,
    stream: match[2] as LogRecord['stream'],
    partial,
    text: match[4] ?? '',
  };
}

/**
 * Milliseconds since the epoch of a log time. Date.parse takes at most milliseconds, so the
 * fraction is cut to three digits first; since/until are compared at that precision.
 */
export function logTime(time: string): number {
  return Date.parse(time.replace(/(\.\d{3})\d+/, '$1'));
}

/**
 * Writes output into a log file in conmon's format, for a process conmon does not carry
 * (an attached `run`): each complete line an `F` record, what has no newline yet a `P`
 * one, so that reading it back gives the lines as they were.
 */
export class LogWriter {
  private fd: number | undefined;

  constructor(private readonly file: string) {}

  write(stream: LogRecord['stream'], chunk: Buffer | string): void {
    const text = chunk.toString();
    if (text === '') return;
    const time = new Date().toISOString();
    const parts = text.split('\n');
    const last = parts.pop()!;
    let records = parts.map((line) => `${time} ${stream} F ${line}\n`).join('');
    if (last !== '') records += `${time} ${stream} P ${last}\n`;
    this.fd ??= openSync(this.file, 'a', 0o600);
    writeSync(this.fd, records);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Joins partial records into lines, per stream: the two streams' records interleave. */
export class LineJoiner {
  private readonly pending = new Map<LogRecord['stream'], { time: string; parts: string[] }>();

  /** The line this record completes, if it does. */
  push(record: LogRecord): LogLine | undefined {
    const open = this.pending.get(record.stream);
    if (record.partial) {
      if (open) open.parts.push(record.text);
      else this.pending.set(record.stream, { time: record.time, parts: [record.text] });
      return undefined;
    }
    if (!open) return { time: record.time, stream: record.stream, text: record.text };
    this.pending.delete(record.stream);
    return { time: open.time, stream: record.stream, text: [...open.parts, record.text].join('') };
  }

  /** What is still partial: output the container never ended with a newline. */
  flush(): LogLine[] {
    const lines = [...this.pending].map(([stream, open]) => ({
      time: open.time,
      stream,
      text: open.parts.join(''),
    }));
    this.pending.clear();
    return lines.sort((a, b) => logTime(a.time) - logTime(b.time));
  }
}

export interface LogWindow {
  /** The last N lines (after since/until); all when absent. */
  tail?: number;
  /** Lines at or after this time. */
  since?: Date;
  /** Lines before this time. */
  until?: Date;
}

/** Whether a line falls inside since/until. */
export function inWindow(line: LogLine, window: LogWindow): boolean {
  const time = logTime(line.time);
  if (window.since && time < window.since.getTime()) return false;
  if (window.until && time >= window.until.getTime()) return false;
  return true;
}

/** The lines of a log file; none when the file does not exist (nothing was logged yet). */
export async function readLogs(file: string, options: LogWindow = {}): Promise<LogLine[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const joiner = new LineJoiner();
  const lines: LogLine[] = [];
  for (const raw of text.split('\n')) {
    const record = parseLogLine(raw);
    const line = record && joiner.push(record);
    if (line) lines.push(line);
  }
  lines.push(...joiner.flush());
  return lastOf(
    lines.filter((line) => inWindow(line, options)),
    options.tail,
  );
}

export function lastOf<T>(items: T[], tail: number | undefined): T[] {
  if (tail === undefined || tail < 0) return items;
  return tail === 0 ? [] : items.slice(-tail);
}

/**
 * The log's lines, then every line conmon appends, until `signal` aborts (the iteration
 * then ends, without an error). The file need not exist yet; when conmon rotates it
 * (`--log-size-max` replaces the file), reading starts again at the new file's beginning.
 * A partial record is held until its line is complete.
 */
export async function* followLogs(
  file: string,
  options: { tail?: number; since?: Date; signal: AbortSignal; pollMs?: number },
): AsyncIterable<LogLine> {
  const joiner = new LineJoiner();
  let first = true;
  for await (const batch of followLines(file, options)) {
    const lines: LogLine[] = [];
    for (const raw of batch) {
      const record = parseLogLine(raw);
      const line = record && joiner.push(record);
      if (line && inWindow(line, options)) lines.push(line);
    }
    // The tail applies to what the file held when following began, not to what follows.
    yield* first ? lastOf(lines, options.tail) : lines;
    first = false;
  }
}
