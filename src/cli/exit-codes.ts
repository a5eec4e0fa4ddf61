import type { ErrorKind } from '../errors.js';
import { TsComposeError } from '../errors.js';
import { UsageError } from './args.js';

/** Documented in docs/exit-codes.md; scripts may rely on them. */
export const EXIT = {
  ok: 0,
  runtime: 1,
  usage: 2,
  invalid: 3,
  notFound: 4,
  conflict: 5,
  unsupported: 6,
  permission: 7,
  internal: 70,
} as const;

const BY_KIND: Record<ErrorKind, number> = {
  invalid: EXIT.invalid,
  'not-found': EXIT.notFound,
  conflict: EXIT.conflict,
  unsupported: EXIT.unsupported,
  permission: EXIT.permission,
  runtime: EXIT.runtime,
};

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof TsComposeError) return BY_KIND[error.kind];
  return EXIT.internal;
}
