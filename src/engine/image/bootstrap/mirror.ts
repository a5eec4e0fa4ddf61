import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const FALLBACK_MIRROR = 'http://deb.debian.org/debian';

/**
 * The Debian mirror the host's apt uses: the first `deb` source that is not a security
 * or updates archive, in sources.list, then sources.list.d (one-line `.list` files and
 * deb822 `.sources` files). Debian's own redirector when none is found.
 */
export function hostMirror(aptDir = '/etc/apt'): string {
  const files = [path.join(aptDir, 'sources.list')];
  const parts = path.join(aptDir, 'sources.list.d');
  if (existsSync(parts)) {
    for (const name of readdirSync(parts).sort())
      if (name.endsWith('.list') || name.endsWith('.sources')) files.push(path.join(parts, name));
  }
  for (const file of files) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const found = file.endsWith('.sources') ? fromDeb822(text) : fromOneLine(text);
    if (found) return found.replace(/\/+$/, '');
  }
  return FALLBACK_MIRROR;
}

function fromOneLine(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const words = line
      .replace(/#.*/, '')
      .replace(/\[[^\]]*\]/, '')
      .trim()
      .split(/\s+/);
    if (words[0] === 'deb' && words[1] && words[2] && isMain(words[1], [words[2]])) return words[1];
  }
  return undefined;
}

function fromDeb822(text: string): string | undefined {
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) =>
      new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(stanza.replace(/^#.*$/gm, ''))?.[1]?.trim();
    const types = field('Types')?.split(/\s+/) ?? [];
    const uri = field('URIs')?.split(/\s+/)[0];
    if (field('Enabled') === 'no' || !types.includes('deb') || !uri) continue;
    if (isMain(uri, field('Suites')?.split(/\s+/) ?? [])) return uri;
  }
  return undefined;
}

/** A mirror of the main archive: http(s), not the security archive, a plain suite. */
function isMain(uri: string, suites: string[]): boolean {
  return (
    /^https?:\/\//.test(uri) &&
    !/security/.test(uri) &&
    suites.some((suite) => !/-(security|updates|backports)$/.test(suite))
  );
}
