/**
 * The merge step of the planner: several `-f` files into one document, and one service into
 * the service it `extends`. The rules are Docker Compose v2's, that is compose-go's
 * `override.Merge` followed by `override.EnforceUnicity`; merge/rules.ts and
 * merge/unicity.ts hold the per-path tables.
 */
import { DOCUMENT, SERVICE, type At } from './merge/at.js';
import { enforceUnicity } from './merge/unicity.js';
import { mergeMappings } from './merge/walk.js';
import { isMapping, stripTags } from './tags.js';

/**
 * Merges an override document into a base document with Docker Compose's rules. Inputs are
 * raw parsed trees (plain objects/arrays/scalars, short or long syntax), not mutated.
 */
export function mergeDocuments(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  return mergeAt(DOCUMENT, base, override);
}

/** The same rules for one service (used by `extends`: the extending service is the override). */
export function mergeService(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  return mergeAt(SERVICE, base, override);
}

/**
 * Tags left in the base were meant for a file before it, which it no longer has: they are
 * dropped (or unwrapped) so that the result carries none. Stripping also copies the base, so
 * the walk can never write into the caller's tree.
 */
function mergeAt(
  at: At,
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const earlier = stripTags(base);
  const merged = mergeMappings(isMapping(earlier) ? earlier : {}, override, at);
  return enforceUnicity(merged, at.path) as Record<string, unknown>;
}
