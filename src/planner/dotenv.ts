import { InvalidError, TsComposeError } from '../errors.js';
import { substitute, type Lookup } from './interpolate.js';

export interface DotenvOptions {
  /** The file as the user named it; errors point at it. */
  file: string;
  /** Variables from outside the file: the environment, or files read before this one. */
  lookup?: Lookup;
}

/**
 * Reads a `.env` or `env_file` file the way Docker Compose v2 does (compose-go's dotenv
 * package), quirks included, so that a stack gets the same variables under both tools.
 */
export function parseDotenv(text: string, options: DotenvOptions): Record<string, string> {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  return new DotenvReader(source, options).read();
}

// compose-go tells two kinds of space apart: `unicode.IsSpace`, which includes line breaks,
// and its own `isSpace`, which stays on the line.
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const INLINE_SPACE = /[\t\v\f\r \u0085\u00a0]/;
const TRAILING_SPACE = new RegExp(`${SPACE.source}+$`);
const KEY_CHAR = /[\p{L}\p{N}_.\-[\]]/u;
const EXPORT = /export[\t\n\f\r ]+/y;

class DotenvReader {
  private pos = 0;
  private statementStart = 0;
  private readonly vars = new Map<string, string>();
  private readonly file: string;
  private readonly lookup: Lookup;

  constructor(
    private readonly src: string,
    options: DotenvOptions,
  ) {
    this.file = options.file;
    this.lookup = options.lookup ?? (() => undefined);
  }

  read(): Record<string, string> {
    while (this.skipToStatement()) this.statement();
    return Object.fromEntries(this.vars);
  }

  /** Skips blank lines and comment lines; false once the file is exhausted. */
  private skipToStatement(): boolean {
    for (;;) {
      while (this.pos < this.src.length && SPACE.test(this.src.charAt(this.pos))) this.pos += 1;
      if (this.pos >= this.src.length) return false;
      if (this.src.charAt(this.pos) !== '#') return true;

      const lineEnd = this.src.indexOf('\n', this.pos);
      if (lineEnd === -1) return false;
      this.pos = lineEnd;
    }
  }

  private statement(): void {
    this.statementStart = this.pos;
    const { key, inherited } = this.key();

    if (inherited) {
      const value = this.lookup(key);
      if (value !== undefined) this.vars.set(key, value);
      return;
    }
    this.vars.set(key, this.value());
  }

  /**
   * Reads `[export] NAME` up to `=`, `:` (compose-go also reads `NAME: value`) or the end
   * of the line, which makes the variable inherited from the lookup.
   */
  private key(): { key: string; inherited: boolean } {
    EXPORT.lastIndex = this.pos;
    if (EXPORT.test(this.src)) this.pos = this.skipInlineSpace(this.pos + 'export'.length);

    const start = this.pos;
    const { end, terminator } = this.scanKey(start);
    const key = this.src.slice(start, end).replace(TRAILING_SPACE, '');
    this.pos = this.skipInlineSpace(end + terminator.length);

    if (key.includes(' ')) {
      throw this.error(
        `key cannot contain a space: ${JSON.stringify(key)}`,
        'each line is NAME=value, export NAME=value, or a bare NAME taken from the environment',
      );
    }
    // A bare NAME on the last line, without a line break, is inherited too (compose-go
    // would store it as the value of an empty name).
    const inherited = terminator !== '=' && terminator !== ':';
    if (key === '' && !inherited) {
      throw this.error(`missing variable name before "${terminator}"`, 'write it as NAME=value');
    }
    return { key, inherited };
  }

  private scanKey(start: number): { end: number; terminator: string } {
    for (let at = start; at < this.src.length;) {
      const char = String.fromCodePoint(this.src.codePointAt(at) ?? 0);
      if (char === '=' || char === ':' || char === '\n') return { end: at, terminator: char };
      if (!INLINE_SPACE.test(char) && !KEY_CHAR.test(char)) throw this.unexpected(char);
      at += char.length;
    }
    return { end: this.src.length, terminator: '' };
  }

  private unexpected(char: string): InvalidError {
    const line = this.src.slice(this.pos).split('\n', 1)[0];
    return this.error(
      `unexpected character ${JSON.stringify(char)} in variable name ${JSON.stringify(line)}`,
      'a variable name may hold letters, digits, _ . - [ and ]; write it as NAME=value',
    );
  }

  private value(): string {
    const quote = this.src.charAt(this.pos);
    if (quote === '"' || quote === "'") return this.quoted(quote);
    return this.unquoted();
  }

  private unquoted(): string {
    const lineEnd = this.src.indexOf('\n', this.pos);
    const end = lineEnd === -1 ? this.src.length : lineEnd;
    const text = this.src.slice(this.pos, end);
    this.pos = lineEnd === -1 ? end : lineEnd + 1;

    // Only ` #` starts a comment: `a#b` is a value, and so is a `#` right after the `=`.
    const comment = text.indexOf(' #');
    const value = (comment === -1 ? text : text.slice(0, comment)).replace(TRAILING_SPACE, '');
    return this.expand(value);
  }

  /**
   * A backslash keeps the next character from closing the value; only an escaped quote
   * loses its backslash here. Single quotes are literal; double quotes then go through
   * escapes and expansion. Line breaks inside quotes are kept as written, CR included.
   */
  private quoted(quote: string): string {
    let value = '';
    let escaped = false;
    for (let i = this.pos + 1; i < this.src.length; i += 1) {
      const char = this.src.charAt(i);
      if (escaped) {
        value += char === quote ? char : `\\${char}`;
        escaped = false;
      } else if (char === '\\') {
        escaped = true;
      } else if (char === quote) {
        this.pos = i + 1;
        return quote === '"' ? this.expand(unescape(value)) : value;
      } else {
        value += char;
      }
    }

    const opening = this.src.slice(this.pos).split('\n', 1)[0];
    throw this.error(
      `unterminated quoted value: ${opening}`,
      `close the value with ${quote}; a ${quote} that belongs to the value is written \\${quote}`,
    );
  }

  private expand(value: string): string {
    try {
      return substitute(value, this.resolve).value;
    } catch (err) {
      if (!(err instanceof TsComposeError)) throw err;
      throw new InvalidError(err.message, {
        file: this.file,
        line: this.line(),
        hint: err.hint,
        cause: err,
      });
    }
  }

  // compose-go asks the outside lookup first, then the keys read so far from this file.
  private readonly resolve = (name: string): string | undefined =>
    this.lookup(name) ?? this.vars.get(name);

  private skipInlineSpace(pos: number): number {
    while (pos < this.src.length && INLINE_SPACE.test(this.src.charAt(pos))) pos += 1;
    return pos;
  }

  private line(): number {
    return this.src.slice(0, this.statementStart).split('\n').length;
  }

  private error(message: string, hint: string): InvalidError {
    return new InvalidError(message, { file: this.file, line: this.line(), hint });
  }
}

const ESCAPE = /\\(?:[abcfnrtv$"\\]|0\d{0,3})/g;
const ESCAPED: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '"': '"',
  '\\': '\\',
  // Stays escaped for the expansion that follows, which reads `$$` as a literal `$`.
  $: '$$',
};

/** The shell escapes compose-go knows in double quotes; any other backslash stays. */
function unescape(value: string): string {
  return value.replace(ESCAPE, (match) => {
    if (match.charAt(1) !== '0') return ESCAPED[match.charAt(1)] ?? match;

    const digits = match.slice(2);
    const code = Number.parseInt(digits, 8);
    return /^[0-7]{3}$/.test(digits) && code <= 0o377 ? String.fromCharCode(code) : match;
  });
}
