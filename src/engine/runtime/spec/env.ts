import { InvalidError } from '../../../errors.js';

/** The PATH a container gets when neither the image nor the service sets one (Docker's). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface EnvInput {
  /** The image's `Env`, `NAME=value` strings. */
  image: readonly string[];
  /** The service's environment, over the image's. */
  service: Record<string, string>;
  hostname: string;
  tty: boolean;
  /** The user's home, for HOME when nothing sets it. */
  home: string;
}

/**
 * The process environment in Docker's order: PATH, HOSTNAME and (with a terminal) TERM
 * first, each replaced in place when the service or the image sets it; then the service's
 * variables; then the image's that the service does not set; then HOME, which runc would
 * otherwise add from passwd at start, so it is spelled out here for the record.
 */
export function processEnv(input: EnvInput): string[] {
  const env = new Map<string, string>();
  env.set('PATH', DEFAULT_PATH);
  env.set('HOSTNAME', input.hostname);
  if (input.tty) env.set('TERM', 'xterm');

  for (const [name, value] of Object.entries(input.service)) env.set(checkName(name), value);
  for (const entry of input.image) {
    const at = entry.indexOf('=');
    const name = at === -1 ? entry : entry.slice(0, at);
    if (Object.hasOwn(input.service, name)) continue;
    // A bare name unsets a default, as Docker's ReplaceOrAppendEnvValues reads it.
    if (at === -1) env.delete(name);
    else env.set(name, entry.slice(at + 1));
  }
  if (!env.has('HOME')) env.set('HOME', input.home);
  return [...env].map(([name, value]) => `${name}=${value}`);
}

function checkName(name: string): string {
  if (name === '' || name.includes('=') || name.includes('\0')) {
    throw new InvalidError(`invalid environment variable name "${name}"`, {
      hint: 'a name is not empty and has no "=" in it',
    });
  }
  return name;
}
