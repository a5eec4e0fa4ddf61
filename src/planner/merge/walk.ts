import { isMapping, OverrideTag, ResetTag, stripTags } from '../tags.js';
import { step, type At } from './at.js';
import { mismatch } from './mismatch.js';
import { ruleAt } from './rules.js';

/**
 * Merges a later file's value into an earlier one's, as compose-go's `override.Merge` does:
 * the rules of rules.ts first, then mappings key by key, sequences appended, anything else
 * replaced. The base carries no tags (merge.ts strips them); the override's tags act here.
 */
export function mergeValue(base: unknown, override: unknown, at: At): unknown {
  // Rules come before the null check, as in compose-go: for `command`, null clears the value.
  const rule = ruleAt(at.path);
  if (rule) return rule(base, override, at, mergeMappings);
  if (override === null) return base;

  if (isMapping(base)) {
    if (!isMapping(override)) throw mismatch(at, base, override);
    return mergeMappings(base, override, at);
  }
  if (Array.isArray(base)) {
    if (!Array.isArray(override)) throw mismatch(at, base, override);
    return [...base, ...(stripTags(override) as unknown[])];
  }
  return stripTags(override);
}

/**
 * Docker Compose's tags work key by key: `!reset` drops whatever the base had, `!override`
 * takes the later value as it is, with no merge below it.
 */
export function mergeMappings(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
  at: At,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value instanceof ResetTag) delete out[key];
    else if (value instanceof OverrideTag || !Object.hasOwn(out, key)) out[key] = stripTags(value);
    else out[key] = mergeValue(out[key], value, step(at, key));
  }
  return out;
}
