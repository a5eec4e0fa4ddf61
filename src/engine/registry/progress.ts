/**
 * What a pull or a push reports while it runs. Plain data, no printing: the CLI draws
 * the bars, the TUI shows a line per service, a test asserts on the list.
 */

/** The blob's place in the image: a display shows layers and hides the config. */
export type BlobRole = 'config' | 'layer';

export type BlobPhase =
  /** Already in the local store (pull) or in the registry (push): nothing sent. */
  | 'exists'
  /** Queued behind the concurrency limit. */
  | 'waiting'
  | 'downloading'
  | 'uploading'
  /** Push: the registry linked it from another repository (cross-repository mount). */
  | 'mounted'
  /** Digest checked and stored (pull) or accepted by the registry (push). */
  | 'done';

export interface BlobProgress {
  type: 'blob';
  digest: string;
  role: BlobRole;
  phase: BlobPhase;
  /** Bytes of this blob so far, including what a resumed download already had. */
  current: number;
  total: number;
  /** Where a resumed download started (an HTTP Range request). */
  resumedFrom?: number;
}

/** The reference was resolved to one manifest (after platform choice, for an index). */
export interface ResolvedEvent {
  type: 'resolved';
  ref: string;
  /** The digest the tag names: the index's when there is one. */
  digest: string;
  manifestDigest: string;
  platform?: string;
}

export interface DoneEvent {
  type: 'done';
  ref: string;
  digest: string;
  /** Bytes of blob content sent over the network by this call. */
  transferred: number;
}

export type ProgressEvent = BlobProgress | ResolvedEvent | DoneEvent;

export type ProgressListener = (event: ProgressEvent) => void;
