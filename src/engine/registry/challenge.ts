/** One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1). */
export interface Challenge {
  /** Lower-cased: `basic`, `bearer`. */
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses `Bearer realm="https://auth.example/token",service="registry",scope="a b"` and
 * headers with several challenges (`Basic realm="x", Bearer realm="y"`). Parameter names
 * are lower-cased; quoted values are unescaped.
 */
export function parseChallenges(header: string | null): Challenge[] {
  if (!header) return [];
  const challenges: Challenge[] = [];
  const scanner = new Scanner(header);
  while (!scanner.done()) {
    scanner.skip(/[\s,]*/y);
    const scheme = scanner.take(/[!#$%&'*+.^_`|~\w-]+/y);
    if (!scheme) break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    for (;;) {
      const mark = scanner.position;
      scanner.skip(/[\s,]*/y);
      const name = scanner.take(/[!#$%&'*+.^_`|~\w-]+/y);
      if (!name || !scanner.take(/\s*=\s*/y)) {
        scanner.position = mark;
        break;
      }
      challenge.params[name.toLowerCase()] = scanner.quoted() ?? scanner.take(/[^\s,]*/y) ?? '';
    }
  }
  return challenges;
}

class Scanner {
  position = 0;

  constructor(private readonly text: string) {}

  done(): boolean {
    return this.position >= this.text.length;
  }

  skip(pattern: RegExp): void {
    this.take(pattern);
  }

  take(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.position;
    const match = pattern.exec(this.text);
    if (!match || match[0] === '') return undefined;
    this.position = pattern.lastIndex;
    return match[0];
  }

  quoted(): string | undefined {
    if (this.text[this.position] !== '"') return undefined;
    let value = '';
    for (let i = this.position + 1; i < this.text.length; i += 1) {
      const char = this.text[i]!;
      if (char === '\\') {
        value += this.text[i + 1] ?? '';
        i += 1;
      } else if (char === '"') {
        this.position = i + 1;
        return value;
      } else {
        value += char;
      }
    }
    this.position = this.text.length;
    return value;
  }
}
