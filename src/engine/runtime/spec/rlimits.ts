import { InvalidError } from '../../../errors.js';
import type { Ulimit } from '../types.js';
import type { OciRlimit } from './oci.js';

/** The resources setrlimit(2) knows, as compose names them. */
const NAMES = new Set([
  'as',
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
]);

/**
 * `-1` in a limit is "unlimited", as compose writes it. The spec's field is a uint64 and
 * RLIM_INFINITY (2^64-1) has no exact JavaScript number: it stays -1 in the object and
 * `ociConfigJson` writes the exact digits.
 */
export const UNLIMITED = -1;

/**
 * The rlimits for `ulimits`, as Docker makes them (`RLIMIT_` and the name in capitals);
 * none beyond those given, so the rest are inherited from the runtime's parent.
 */
export function processRlimits(ulimits: readonly Ulimit[]): OciRlimit[] | undefined {
  if (ulimits.length === 0) return undefined;
  const seen = new Set<string>();
  return ulimits.map(({ name, soft, hard }) => {
    const key = name.toLowerCase();
    const where = `ulimits.${name}`;
    if (!NAMES.has(key)) {
      throw new InvalidError(`unknown ulimit "${name}"`, {
        path: where,
        hint: `use one of ${[...NAMES].join(', ')}`,
      });
    }
    if (seen.has(key)) {
      throw new InvalidError(`ulimit "${name}" is given twice`, { path: where });
    }
    seen.add(key);
    checkValue(soft, where);
    checkValue(hard, where);
    if (hard !== UNLIMITED && (soft === UNLIMITED || soft > hard)) {
      throw new InvalidError(
        `the soft limit of ${name} (${soft}) is more than its hard limit (${hard})`,
        {
          path: where,
          hint: 'the soft limit must be less than or equal to the hard limit',
        },
      );
    }
    return { type: `RLIMIT_${key.toUpperCase()}`, soft, hard };
  });
}

function checkValue(value: number, where: string): void {
  if (value === UNLIMITED) return;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidError(`invalid ulimit value ${value}`, {
      path: where,
      hint: 'a limit is a whole number from 0, or -1 for unlimited',
    });
  }
}
