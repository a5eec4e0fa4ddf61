import { InvalidError } from '../../errors.js';
import { formatPath } from '../path.js';
import type { At } from './at.js';

/**
 * Two files wrote the same key in forms that have no merge between them (a list over a
 * mapping, say). Docker Compose refuses these too ("cannot override …"); saying which form
 * each file used, and how to replace instead of merge, is what the user needs to fix it.
 */
export function mismatch(at: At, base: unknown, override: unknown): InvalidError {
  const path = formatPath(at.shown);
  return new InvalidError(`cannot merge ${describe(override)} into ${describe(base)}`, {
    path: path === '' ? undefined : path,
    hint: 'write the same form in both files, or tag the later value with !override to replace it',
  });
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}
