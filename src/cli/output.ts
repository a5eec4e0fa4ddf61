import type { Writable } from 'node:stream';
import { displayPath, formatError, TsComposeError } from '../errors.js';
import type { Warning } from '../planner/warnings.js';

/** Where a command writes: results to stdout, diagnostics to stderr. Tests pass buffers. */
export interface Output {
  stdout: Writable;
  stderr: Writable;
  /** Colour on stderr: only for a terminal, and never with NO_COLOR. */
  color: boolean;
  /** stderr is a terminal: progress may redraw lines in place. */
  tty?: boolean;
  /** Files under this directory are shown relative to it. */
  cwd?: string;
}

export function print(out: Output, text: string): void {
  out.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function printWarnings(out: Output, warnings: Warning[]): void {
  const seen = new Set<string>();
  for (const warning of warnings) {
    const file = warning.file && out.cwd ? displayPath(warning.file, out.cwd) : warning.file;
    const where = [file, warning.line, warning.line ? warning.column : undefined]
      .filter((part) => part !== undefined)
      .join(':');
    const text = [
      where,
      typeof warning.path === 'string' ? warning.path : undefined,
      warning.message,
    ]
      .filter(Boolean)
      .join(': ');
    if (seen.has(text)) continue;
    seen.add(text);
    out.stderr.write(`${paint(out, 'warning:', '33')} ${text}\n`);
  }
}

export function printError(out: Output, error: unknown): void {
  if (error instanceof TsComposeError) {
    out.stderr.write(`${paint(out, 'error:', '31')} ${formatError(error, out.cwd)}\n`);
    return;
  }
  // Not one of ours: a bug. Say so plainly, with the stack, since it is the only clue.
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  out.stderr.write(
    `${paint(out, 'internal error:', '31')} ${detail}\nThis is a bug in tscompose; please report it with the command you ran.\n`,
  );
}

function paint(out: Output, text: string, code: string): string {
  return out.color ? `\u001b[${code}m${text}\u001b[0m` : text;
}
