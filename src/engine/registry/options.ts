import type { Platform } from '../image/types.js';
import type { Clock } from './clock.js';
import type { CredentialStore } from './credentials.js';
import type { ProgressListener } from './progress.js';

/** What a pull and a push share: where credentials come from, what may be plain HTTP. */
export interface TransferOptions {
  credentials?: CredentialStore;
  /** `host[:port]` or IPv4 CIDRs reached over plain HTTP, as dockerd's insecure-registries. */
  insecureRegistries?: string[];
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Blobs in flight at once (default 3, as Docker's max-concurrent-downloads). */
  concurrency?: number;
  /** Tries per request when the registry answers 429 or 503 (default 5). */
  attempts?: number;
  clock?: Clock;
}

export interface PullOptions extends TransferOptions {
  /** Default: the host's (`hostPlatform()`); an explicit one must match a single image too. */
  platform?: Platform;
  /** Resumes of a blob download broken by the network, within one pull (default 3). */
  retries?: number;
}

export interface PushOptions extends TransferOptions {
  /** Blobs larger than this are uploaded in PATCH chunks, smaller ones in one PUT. */
  chunkThreshold?: number;
  /** Size of each PATCH chunk. */
  chunkSize?: number;
}

export const DEFAULT_CONCURRENCY = 3;
export const DEFAULT_RETRIES = 3;
export const DEFAULT_CHUNK_THRESHOLD = 32 * 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;
