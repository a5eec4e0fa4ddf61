/**
 * Dockerfile words, as Docker's shell lexer reads them for ENV, LABEL, EXPOSE, USER,
 * VOLUME, WORKDIR and STOPSIGNAL: quotes group, a backslash escapes, and `$NAME`,
 * `${NAME}`, `${NAME:-default}` and `${NAME:+alternative}` expand from the image's
 * environment as it stands at that instruction.
 */

/** Splits at unquoted white space; quotes and escapes stay for `expandWord`. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i]!;
    if (char === '\\' && quote !== "'" && i + 1 < text.length) {
      word += char + text[i + 1];
      i += 1;
      inWord = true;
    } else if (quote) {
      if (char === quote) quote = undefined;
      word += char;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      if (char === '"' || char === "'") quote = char;
      word += char;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unmatched ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

/** Removes quotes and escapes, and expands variables from `env` (`NAME=value` entries). */
export function expandWord(word: string, env: readonly string[]): string {
  const lookup = (name: string): string | undefined => {
    for (let i = env.length - 1; i >= 0; i -= 1) {
      const entry = env[i]!;
      if (entry.startsWith(`${name}=`)) return entry.slice(name.length + 1);
    }
    return undefined;
  };
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < word.length; i += 1) {
    const char = word[i]!;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else out += char;
    } else if (char === '\\' && i + 1 < word.length) {
      const next = word[i + 1]!;
      // Inside double quotes only these are escaped, as in a POSIX shell.
      out += quote === '"' && !'"\\$'.includes(next) ? char + next : next;
      i += 1;
    } else if (char === '"' || (char === "'" && !quote)) {
      quote = quote === char ? undefined : char;
    } else if (char === '$') {
      const [value, end] = variable(word, i, lookup);
      out += value;
      i = end;
    } else {
      out += char;
    }
  }
  return out;
}

/** The value of the variable at `word[start]` (a `$`) and the index of its last character. */
function variable(
  word: string,
  start: number,
  lookup: (name: string) => string | undefined,
): [string, number] {
  const plain = /^[A-Za-z_][A-Za-z0-9_]*/.exec(word.slice(start + 1));
  if (plain) return [lookup(plain[0]) ?? '', start + plain[0].length];
  if (word[start + 1] !== '{') return ['$', start];
  const close = word.indexOf('}', start + 2);
  if (close < 0) throw new Error(`missing } in ${word.slice(start)}`);
  const body = word.slice(start + 2, close);
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])(.*))?$/.exec(body);
  if (!match) throw new Error(`bad substitution \${${body}}`);
  const [, name, operator, operand = ''] = match;
  const value = lookup(name!);
  const set = operator?.startsWith(':') ? Boolean(value) : value !== undefined;
  if (operator?.endsWith('-')) return [set ? value! : operand, close];
  if (operator?.endsWith('+')) return [set ? operand : '', close];
  return [value ?? '', close];
}

/** `["a", "b"]` as a list of strings, or undefined for anything else (the shell form). */
export function jsonList(text: string): string[] | undefined {
  if (!text.trimStart().startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  } catch {
    return undefined;
  }
  return undefined;
}
