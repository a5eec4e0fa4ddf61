/**
 * Splits `command: bundle exec thin -p 3000` into words the way compose-go does (it uses
 * mattn/go-shellwords with environment and backtick expansion off): blanks separate
 * words, quotes group them, a backslash takes the next character literally outside single
 * quotes, and `$(…)` or backticks stay in the word as written.
 */
export type ShellWords =
  { ok: true; words: string[]; ignored?: string } | { ok: false; reason: string };

type Group = "'" | '"' | '`' | '$(';

const BLANKS = new Set([' ', '\t', '\r', '\n']);
const OPERATORS = new Set([';', '&', '|', '<', '>']);

export function splitShellWords(line: string): ShellWords {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let group: Group | undefined;

  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (char === '\\' && group !== "'") {
      if (++i === line.length) return { ok: false, reason: 'it ends with a lone backslash' };
      word += group === '`' || group === '$(' ? `\\${line[i]}` : line[i];
      inWord = true;
      continue;
    }
    if (group) {
      const closing = group === '$(' ? char === ')' : char === group;
      if (!closing || group === '`' || group === '$(') word += char;
      if (closing) group = undefined;
      continue;
    }
    if (BLANKS.has(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    if (OPERATORS.has(char)) {
      // go-shellwords stops at a shell operator, and Compose runs what came before it.
      const redirect = char === '>' && inWord && /^\d+$/.test(word);
      if (inWord && !redirect) words.push(word);
      return { ok: true, words, ignored: line.slice(redirect ? i - word.length : i).trim() };
    }
    if (char === ')' || (char === '(' && !word.endsWith('$'))) {
      return { ok: false, reason: `it has an unquoted "${char}"` };
    }
    group = opening(char);
    if (group !== "'" && group !== '"') word += char;
    inWord = true;
  }

  if (group) return { ok: false, reason: `it has an unclosed ${group}` };
  if (inWord) words.push(word);
  return { ok: true, words };
}

function opening(char: string): Group | undefined {
  if (char === "'" || char === '"' || char === '`') return char;
  return char === '(' ? '$(' : undefined;
}
