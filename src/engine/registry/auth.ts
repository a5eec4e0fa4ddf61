import { PermissionError, RuntimeError, UnsupportedError } from '../../errors.js';
import { parseChallenges, type Challenge } from './challenge.js';
import type { Clock } from './clock.js';
import type { Credentials } from './credentials.js';
import { allowsPlainHttp } from './hosts.js';

/** Where a client gets the credentials for its registry: the store, or `login`'s arguments. */
export type CredentialSource = () => Promise<Credentials | undefined>;

export interface AuthContext {
  /** The registry's name as the user knows it, for messages: `127.0.0.1:5000`, `docker.io`. */
  registry: string;
  insecure: readonly string[];
  clock: Clock;
  signal?: AbortSignal;
  userAgent: string;
}

interface Token {
  value: string;
  expiresAt: number;
}

/** The distribution token spec's default lifetime when `expires_in` is missing. */
const DEFAULT_TOKEN_SECONDS = 60;

/**
 * Authorization for one registry: basic, or bearer tokens from the realm its challenge
 * names (the distribution token spec), cached per scope until they expire. Parallel layer
 * downloads asking for the same scope share one token request.
 */
export class Authenticator {
  private challenge: Challenge | undefined;
  private credentials: Promise<Credentials | undefined> | undefined;
  private readonly tokens = new Map<string, Token>();
  private readonly pending = new Map<string, Promise<Token>>();
  /** How many tokens were fetched: tests check that the cache works. */
  tokenRequests = 0;

  constructor(
    private readonly context: AuthContext,
    private readonly source: CredentialSource,
  ) {}

  /** Learns the scheme from a 401's `WWW-Authenticate`; false if it offers none we speak. */
  learn(header: string | null): boolean {
    const offered = parseChallenges(header);
    const chosen =
      offered.find((c) => c.scheme === 'bearer' && c.params.realm) ??
      offered.find((c) => c.scheme === 'basic');
    if (chosen) this.challenge = chosen;
    return chosen !== undefined;
  }

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  async hasCredentials(): Promise<boolean> {
    return (await this.creds()) !== undefined;
  }

  /** The `Authorization` value for a request needing `scope`, or undefined for anonymous. */
  async authorization(scope: readonly string[]): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      const creds = await this.creds();
      if (!creds || !('password' in creds)) return undefined;
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    return `Bearer ${(await this.token(challenge, scope)).value}`;
  }

  /** Drops a token the registry refused, so the next request fetches a fresh one. */
  invalidate(scope: readonly string[]): void {
    if (this.challenge) this.tokens.delete(tokenKey(this.challenge, scope));
  }

  private creds(): Promise<Credentials | undefined> {
    this.credentials ??= this.source();
    return this.credentials;
  }

  private async token(challenge: Challenge, scope: readonly string[]): Promise<Token> {
    const key = tokenKey(challenge, scope);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.context.clock.now()) return cached;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.fetchToken(challenge, scope).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    const token = await pending;
    this.tokens.set(key, token);
    return token;
  }

  private async fetchToken(challenge: Challenge, scope: readonly string[]): Promise<Token> {
    const realm = this.realm(challenge);
    const scopes = [...new Set([...scope, ...(challenge.params.scope?.split(' ') ?? [])])]
      .filter(Boolean)
      .sort();
    const creds = await this.creds();
    const started = this.context.clock.now();
    this.tokenRequests += 1;
    const request = tokenRequest(realm, challenge.params.service, scopes, creds);
    const response = await fetch(realm, {
      ...request,
      headers: { 'user-agent': this.context.userAgent, ...request.headers },
      signal: this.context.signal,
    }).catch((cause: unknown) => {
      if (this.context.signal?.aborted) throw cause;
      throw new RuntimeError(`cannot reach the token service ${realm.origin}`, { cause });
    });
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw refused(this.context.registry, creds !== undefined);
    }
    if (!response.ok) {
      throw new RuntimeError(
        `the token service of ${this.context.registry} answered ${response.status}`,
        { hint: 'the registry may be down; try again later' },
      );
    }
    const body = (await response.json()) as {
      token?: string;
      access_token?: string;
      expires_in?: number;
    };
    const value = body.token ?? body.access_token;
    if (!value)
      throw new RuntimeError(`the token service of ${this.context.registry} sent no token`);
    const seconds =
      typeof body.expires_in === 'number' && body.expires_in > 0
        ? body.expires_in
        : DEFAULT_TOKEN_SECONDS;
    // Renew a little early: a token that expires in flight costs a failed request.
    const margin = Math.min(5_000, seconds * 100);
    return { value, expiresAt: started + seconds * 1000 - margin };
  }

  private realm(challenge: Challenge): URL {
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm ?? '');
    } catch {
      throw new UnsupportedError(
        `${this.context.registry} names an invalid token realm "${challenge.params.realm}"`,
      );
    }
    // Credentials go to the realm: never in clear text to a host that is not trusted so.
    if (realm.protocol !== 'https:' && !allowsPlainHttp(realm.host, this.context.insecure)) {
      throw new UnsupportedError(
        `${this.context.registry} sends its tokens over plain HTTP from ${realm.host}`,
        { hint: `list ${realm.host} as an insecure registry if that is intended` },
      );
    }
    return realm;
  }
}

/** Docker's refusal messages: the user must learn whether to log in or fix a password. */
export function refused(registry: string, hadCredentials: boolean): PermissionError {
  return hadCredentials
    ? new PermissionError(`wrong username or password for ${registry}`, {
        hint: `log in again with tscompose login ${registry}`,
      })
    : new PermissionError(`${registry} requires authentication`, {
        hint: `log in with tscompose login ${registry}`,
      });
}

function tokenKey(challenge: Challenge, scope: readonly string[]): string {
  return [challenge.params.realm, challenge.params.service, ...[...scope].sort()].join(' ');
}

/**
 * The token request: GET with basic credentials, or with an identity token (what Docker
 * keeps after an OAuth login) the OAuth2 refresh-token POST the token spec describes.
 */
function tokenRequest(
  realm: URL,
  service: string | undefined,
  scopes: string[],
  creds: Credentials | undefined,
): { method: string; headers: Record<string, string>; body?: string } {
  if (creds && 'identitytoken' in creds) {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: creds.identitytoken,
      client_id: 'tscompose',
      ...(service ? { service } : {}),
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
    });
    return {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    };
  }
  if (service) realm.searchParams.set('service', service);
  for (const scope of scopes) realm.searchParams.append('scope', scope);
  if (!creds) return { method: 'GET', headers: {} };
  realm.searchParams.set('account', creds.username);
  const basic = Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
  return { method: 'GET', headers: { authorization: `Basic ${basic}` } };
}
