import { RuntimeError, UnsupportedError } from '../../errors.js';
import { Authenticator, refused, type CredentialSource } from './auth.js';
import { DEFAULT_ATTEMPTS, RETRYABLE, retryDelay } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import { registryError } from './errors.js';
import { registryBaseUrl } from './hosts.js';

export interface ClientOptions {
  credentials?: CredentialSource;
  insecureRegistries?: readonly string[];
  signal?: AbortSignal;
  clock?: Clock;
  /** Tries per request when the registry answers 429 or 5xx-busy (default 5). */
  attempts?: number;
  userAgent?: string;
}

export interface RegistryRequest {
  method?: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  /** Buffers only: a body must be replayable after a 401 or a 429. */
  body?: Buffer;
  /** Token scopes the request needs: `repository:team/app:pull`. */
  scope: readonly string[];
  /** The object in the user's words, for messages: `blob sha256:… of team/app`. */
  what: string;
}

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * HTTP to one registry: the scheme it is allowed (HTTPS unless loopback or listed
 * insecure), its auth challenge learned once from `GET /v2/` as Docker does, retries with
 * backoff on 429 and busy 5xx, and redirects followed by hand so that `Authorization` never
 * reaches another host (registries send blob GETs to storage with a signed URL).
 */
export class RegistryClient {
  readonly base: URL;
  readonly auth: Authenticator;
  private readonly clock: Clock;
  private readonly attempts: number;
  private readonly userAgent: string;
  private pinged: Promise<void> | undefined;

  constructor(
    /** The domain of a reference: `docker.io`, `127.0.0.1:5000`. */
    readonly registry: string,
    private readonly options: ClientOptions = {},
  ) {
    this.base = registryBaseUrl(registry, options.insecureRegistries);
    this.clock = options.clock ?? systemClock;
    this.attempts = Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS);
    this.userAgent = options.userAgent ?? 'tscompose/0.1';
    this.auth = new Authenticator(
      {
        registry,
        insecure: options.insecureRegistries ?? [],
        clock: this.clock,
        signal: options.signal,
        userAgent: this.userAgent,
      },
      options.credentials ?? (() => Promise.resolve(undefined)),
    );
  }

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  /** `GET /v2/` without credentials: is this a v2 registry, and which auth does it want? */
  ping(): Promise<void> {
    this.pinged ??= this.doPing().catch((error: unknown) => {
      this.pinged = undefined;
      throw error;
    });
    return this.pinged;
  }

  /** One request to the registry, authorised for `scope`. Non-2xx answers are returned. */
  async request(target: string | URL, request: RegistryRequest): Promise<Response> {
    await this.ping();
    const url = new URL(target, this.base);
    const ours = url.origin === this.base.origin;
    let authorization = ours ? await this.auth.authorization(request.scope) : undefined;
    let reauthorised = false;
    for (let attempt = 1; ; attempt += 1) {
      const response = await this.send(url, request, authorization);
      if (response.status === 401 && ours) {
        await response.body?.cancel();
        const next = reauthorised ? undefined : await this.reauthorise(response, request.scope);
        if (next === undefined || next === authorization) throw await this.denied(request);
        reauthorised = true;
        authorization = next;
        attempt -= 1;
        continue;
      }
      if (RETRYABLE.has(response.status) && attempt < this.attempts) {
        const delay = retryDelay(
          response.headers.get('retry-after'),
          attempt,
          this.clock.now(),
          request.what,
        );
        await response.body?.cancel();
        await this.clock.sleep(delay, this.options.signal);
        continue;
      }
      return response;
    }
  }

  private async doPing(): Promise<void> {
    const what = `registry ${this.registry}`;
    for (let attempt = 1; ; attempt += 1) {
      const response = await this.send(new URL('/v2/', this.base), { scope: [], what }, undefined);
      if (RETRYABLE.has(response.status) && attempt < this.attempts) {
        await response.body?.cancel();
        const delay = retryDelay(
          response.headers.get('retry-after'),
          attempt,
          this.clock.now(),
          what,
        );
        await this.clock.sleep(delay, this.options.signal);
        continue;
      }
      if (response.ok) {
        await response.body?.cancel();
        return;
      }
      if (response.status === 401) {
        await response.body?.cancel();
        if (this.auth.learn(response.headers.get('www-authenticate'))) return;
        throw new UnsupportedError(
          `${this.registry} asks for an authentication scheme tscompose does not speak`,
          { hint: `it answered: ${response.headers.get('www-authenticate') ?? 'nothing'}` },
        );
      }
      if (response.status === 404) {
        await response.body?.cancel();
        throw new UnsupportedError(`${this.registry} does not speak the registry API v2`, {
          hint: 'check the address: GET /v2/ should answer 200 or 401',
        });
      }
      throw await registryError(response, what);
    }
  }

  /** After a 401: the fresh `Authorization` to try once more, if there is one. */
  private async reauthorise(response: Response, scope: readonly string[]) {
    if (this.auth.scheme === 'bearer') this.auth.invalidate(scope);
    if (!this.auth.learn(response.headers.get('www-authenticate'))) return undefined;
    return this.auth.authorization(scope);
  }

  private async denied(request: RegistryRequest) {
    const hasCredentials = await this.auth.hasCredentials();
    if (this.auth.scheme !== 'bearer') return refused(this.registry, hasCredentials);
    const error = refused(this.registry, hasCredentials);
    error.message = `access to ${request.what} was denied`;
    if (hasCredentials) error.hint = 'the account may not use this repository';
    return error;
  }

  /** One attempt, following redirects for GET and HEAD. */
  private async send(
    start: URL,
    request: RegistryRequest,
    authorization: string | undefined,
  ): Promise<Response> {
    const method = request.method ?? 'GET';
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...request.headers };
    if (authorization) headers.authorization = authorization;
    let url = start;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
      const response = await this.fetch(url, { method, headers, body: request.body }, request);
      const location = response.headers.get('location');
      const follows = method === 'GET' || method === 'HEAD';
      if (!REDIRECTS.has(response.status) || !location || !follows) return response;
      await response.body?.cancel();
      const next = new URL(location, url);
      // Docker's rule: credentials are for the registry, never for the storage it sends to.
      if (next.origin !== this.base.origin) delete headers.authorization;
      url = next;
    }
    throw new RuntimeError(`${request.what}: more than ${MAX_REDIRECTS} redirects`, {
      hint: 'the registry or a proxy in front of it redirects in a loop',
    });
  }

  private async fetch(
    url: URL,
    init: { method: string; headers: Record<string, string>; body?: Buffer },
    request: { what: string },
  ): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'manual', signal: this.options.signal });
    } catch (cause) {
      if (this.options.signal?.aborted) throw cause;
      const code = (cause as { cause?: { code?: string; message?: string } }).cause;
      throw new RuntimeError(
        `${request.what}: cannot reach ${url.host} (${code?.code ?? code?.message ?? String(cause)})`,
        {
          cause,
          hint:
            url.protocol === 'https:'
              ? 'check the address; a registry that speaks plain HTTP must be listed as insecure'
              : 'check the address and that the registry is running',
        },
      );
    }
  }
}
