import { RuntimeError } from '../../errors.js';

/** Statuses a registry uses for "later": rate limits (Docker Hub's 429) and overload. */
export const RETRYABLE = new Set([429, 502, 503, 504]);

export const DEFAULT_ATTEMPTS = 5;
const BASE_DELAY_MS = 500;
const MAX_BACKOFF_MS = 8_000;
/** A Retry-After longer than this is a rate limit for the next hour, not a hiccup: give up. */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * How long to wait before attempt `attempt + 1`. Retry-After (RFC 9110 §10.2.3: seconds or
 * an HTTP date) wins when the registry sends it; otherwise exponential backoff.
 */
export function retryDelay(
  retryAfter: string | null,
  attempt: number,
  now: number,
  what: string,
): number {
  const asked = parseRetryAfter(retryAfter, now);
  if (asked === undefined) return Math.min(BASE_DELAY_MS * 2 ** (attempt - 1), MAX_BACKOFF_MS);
  if (asked > MAX_RETRY_AFTER_MS) {
    throw new RuntimeError(
      `${what}: the registry asks to wait ${Math.ceil(asked / 1000)} s before trying again`,
      { hint: 'the registry is rate-limiting this client; log in or try again later' },
    );
  }
  return asked;
}

export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
