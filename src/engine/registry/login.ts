import { InvalidError } from '../../errors.js';
import type { Clock } from './clock.js';
import { RegistryClient } from './client.js';
import { credentialKey, type CredentialStore } from './credentials.js';
import { registryError } from './errors.js';
import { normaliseRegistry } from './hosts.js';

export interface LoginOptions {
  credentials: CredentialStore;
  insecureRegistries?: string[];
  signal?: AbortSignal;
  clock?: Clock;
}

/**
 * `login`: checks the password against the registry first (`GET /v2/` with it, or a token
 * request for a token registry) and stores it only if the registry took it, as
 * `docker login` does. A refused password is a PermissionError that says so.
 */
export async function login(
  registry: string,
  username: string,
  password: string,
  options: LoginOptions,
): Promise<{ registry: string; key: string }> {
  if (!username || !password) {
    throw new InvalidError('login needs a username and a password', {
      hint: 'pass --username and --password-stdin',
    });
  }
  const domain = normaliseRegistry(registry);
  const client = new RegistryClient(domain, {
    credentials: () => Promise.resolve({ username, password }),
    insecureRegistries: options.insecureRegistries,
    signal: options.signal,
    clock: options.clock,
  });
  const response = await client.request('/v2/', { scope: [], what: `registry ${domain}` });
  await response.body?.cancel();
  if (!response.ok) throw await registryError(response, `registry ${domain}`);
  await options.credentials.store(domain, { username, password });
  return { registry: domain, key: credentialKey(domain) };
}

/** `logout`: forgets the registry's credentials; false if there were none. */
export async function logout(
  registry: string,
  options: { credentials: CredentialStore },
): Promise<boolean> {
  return options.credentials.erase(normaliseRegistry(registry));
}
