import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidError } from '../../errors.js';
import { DOCKER_HUB } from '../image/reference.js';
import { writeFileAtomic } from '../store/atomic.js';
import { runHelper, type HelperCredentials } from './helper.js';
import { normaliseRegistry } from './hosts.js';

/** A password login, or the identity token Docker keeps after an OAuth (token) login. */
export type Credentials = { username: string; password: string } | { identitytoken: string };

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  [key: string]: unknown;
}

/** The parts of `~/.docker/config.json` this reads; the other keys are kept as they are. */
interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

export interface CredentialStoreOptions {
  /** The program for a helper name; default `docker-credential-NAME` found on the PATH. */
  helperCommand?: (name: string) => string;
}

/** Docker Hub's credentials live under its v1 index URL, for historical reasons. */
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

/** Helpers answer `get` for a token login with this user name (docker-credential-helpers). */
const TOKEN_USERNAME = '<token>';

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, as the Docker CLI looks. */
export function dockerConfigFile(env: { DOCKER_CONFIG?: string; HOME?: string }): string {
  if (env.DOCKER_CONFIG) return path.join(env.DOCKER_CONFIG, 'config.json');
  return path.join(env.HOME ?? '/root', '.docker', 'config.json');
}

/** The key a registry's entry has in the config file and in credential helpers. */
export function credentialKey(registry: string): string {
  const domain = normaliseRegistry(registry);
  return domain === DOCKER_HUB ? DOCKER_HUB_KEY : domain;
}

/**
 * Registry credentials kept the Docker CLI's way, so that `docker login` and
 * `tscompose login` see each other's: base64 `user:password` under `auths`, or in a
 * credential helper (`credsStore` for all registries, `credHelpers` per registry).
 */
export class CredentialStore {
  constructor(
    readonly configFile: string,
    private readonly options: CredentialStoreOptions = {},
  ) {}

  async get(registry: string): Promise<Credentials | undefined> {
    const config = this.read();
    const key = credentialKey(registry);
    const helper = helperFor(config, key);
    if (helper) {
      const answer = await runHelper(this.command(helper), 'get', key);
      return answer === undefined ? undefined : fromHelper(answer, helper);
    }
    const found = entriesFor(config, key)[0];
    return found ? this.decode(found[0], found[1]) : undefined;
  }

  async store(registry: string, credentials: Credentials): Promise<void> {
    const config = this.read();
    const key = credentialKey(registry);
    const helper = helperFor(config, key);
    const auths = (config.auths ??= {});
    for (const [name] of entriesFor(config, key)) delete auths[name];
    if (helper) {
      const [username, secret] =
        'identitytoken' in credentials
          ? [TOKEN_USERNAME, credentials.identitytoken]
          : [credentials.username, credentials.password];
      const input: HelperCredentials = { ServerURL: key, Username: username, Secret: secret };
      await runHelper(this.command(helper), 'store', JSON.stringify(input));
      // As Docker does: an empty entry says "logged in here", the secret is in the helper.
      auths[key] = {};
    } else if ('identitytoken' in credentials) {
      auths[key] = { identitytoken: credentials.identitytoken };
    } else {
      const pair = `${credentials.username}:${credentials.password}`;
      auths[key] = { auth: Buffer.from(pair).toString('base64') };
    }
    this.write(config);
  }

  /** Forgets a registry's credentials; false if there were none. */
  async erase(registry: string): Promise<boolean> {
    const config = this.read();
    const key = credentialKey(registry);
    const helper = helperFor(config, key);
    const entries = entriesFor(config, key);
    let had = entries.length > 0;
    if (helper) had = (await runHelper(this.command(helper), 'erase', key)) !== undefined || had;
    if (entries.length > 0) {
      for (const [name] of entries) delete config.auths![name];
      this.write(config);
    }
    return had;
  }

  private command(helper: string): string {
    return this.options.helperCommand?.(helper) ?? `docker-credential-${helper}`;
  }

  private read(): DockerConfig {
    let text: string;
    try {
      text = readFileSync(this.configFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        return parsed as DockerConfig;
    } catch {
      // reported below
    }
    throw new InvalidError('the Docker config file is not a JSON object', {
      file: this.configFile,
      hint: 'fix or remove it; tscompose and Docker keep registry logins there',
    });
  }

  private write(config: DockerConfig): void {
    // Secrets inside: readable by the owner only, like the Docker CLI's own file.
    writeFileAtomic(this.configFile, `${JSON.stringify(config, null, '\t')}\n`, 0o600);
  }

  private decode(name: string, entry: AuthEntry): Credentials | undefined {
    if (entry.identitytoken) return { identitytoken: entry.identitytoken };
    if (entry.auth) {
      const pair = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = pair.indexOf(':');
      if (colon <= 0) {
        throw new InvalidError(`the saved login for ${name} is not base64 of user:password`, {
          file: this.configFile,
          path: `auths.${name}.auth`,
          hint: `log in again with tscompose login ${normaliseRegistry(name)}`,
        });
      }
      return { username: pair.slice(0, colon), password: pair.slice(colon + 1) };
    }
    if (entry.username && entry.password) {
      return { username: entry.username, password: entry.password };
    }
    return undefined;
  }
}

/** Every `auths` entry for the registry: keys are written many ways (scheme, `/v1/`). */
function entriesFor(config: DockerConfig, key: string): [string, AuthEntry][] {
  const domain = normaliseRegistry(key);
  return Object.entries(config.auths ?? {}).filter(
    ([name, entry]) => normaliseRegistry(name) === domain && entry && typeof entry === 'object',
  );
}

function helperFor(config: DockerConfig, key: string): string | undefined {
  const domain = normaliseRegistry(key);
  const specific = Object.entries(config.credHelpers ?? {}).find(
    ([name]) => normaliseRegistry(name) === domain,
  );
  return specific?.[1] || config.credsStore || undefined;
}

function fromHelper(answer: string, helper: string): Credentials | undefined {
  let parsed: HelperCredentials;
  try {
    parsed = JSON.parse(answer) as HelperCredentials;
  } catch {
    throw new InvalidError(`the credential helper docker-credential-${helper} answered no JSON`, {
      hint: 'check that the helper works on its own: echo SERVER | docker-credential-NAME get',
    });
  }
  if (!parsed.Secret) return undefined;
  if (parsed.Username === TOKEN_USERNAME) return { identitytoken: parsed.Secret };
  return { username: parsed.Username, password: parsed.Secret };
}
