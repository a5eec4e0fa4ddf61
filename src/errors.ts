/**
 * The few kinds of error every layer throws. The CLI maps each kind to an exit code
 * (docs/exit-codes.md); nothing below src/cli prints or exits.
 */
export type ErrorKind =
  'invalid' | 'not-found' | 'unsupported' | 'conflict' | 'permission' | 'runtime';

/** Where in a compose file a problem is. `path` is in the user's words: `services.web.ports[1]`. */
export interface SourceLocation {
  file?: string;
  line?: number;
  column?: number;
  path?: string;
}

export interface ErrorDetails extends SourceLocation {
  hint?: string;
  cause?: unknown;
}

export class TsComposeError extends Error {
  readonly kind: ErrorKind;
  file?: string;
  line?: number;
  column?: number;
  path?: string;
  hint?: string;

  constructor(kind: ErrorKind, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.file = details.file;
    this.line = details.line;
    this.column = details.column;
    this.path = details.path;
    this.hint = details.hint;
  }
}

/** The input is wrong: a compose file, an env file, a flag. */
export class InvalidError extends TsComposeError {
  constructor(message: string, details?: ErrorDetails) {
    super('invalid', message, details);
  }
}

export class NotFoundError extends TsComposeError {
  constructor(message: string, details?: ErrorDetails) {
    super('not-found', message, details);
  }
}

export class UnsupportedError extends TsComposeError {
  constructor(message: string, details?: ErrorDetails) {
    super('unsupported', message, details);
  }
}

export class ConflictError extends TsComposeError {
  constructor(message: string, details?: ErrorDetails) {
    super('conflict', message, details);
  }
}

export class PermissionError extends TsComposeError {
  constructor(message: string, details?: ErrorDetails) {
    super('permission', message, details);
  }
}

export class RuntimeError extends TsComposeError {
  constructor(message: string, details?: ErrorDetails) {
    super('runtime', message, details);
  }
}

/**
 * One line for the terminal: `compose.yaml:12:7: services.web.ports[1]: expected …`
 * followed by the hint on its own line. Used by the CLI and by tests that assert exact text.
 */
export function formatError(err: TsComposeError, relativeTo?: string): string {
  const file = err.file && relativeTo ? displayPath(err.file, relativeTo) : err.file;
  const where = [file, err.line, file && err.line ? err.column : undefined]
    .filter((part) => part !== undefined && part !== '')
    .join(':');
  const head = [where, err.path].filter(Boolean).join(': ');
  const text = head ? `${head}: ${err.message}` : err.message;
  return err.hint ? `${text}\n  hint: ${err.hint}` : text;
}

/** A path under `dir` is shown relative to it, as a user in that directory would type it. */
export function displayPath(file: string, dir: string): string {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return file.startsWith(prefix) ? file.slice(prefix.length) : file;
}
