import { isMapping, ResetTag, stripTags } from '../tags.js';
import { hostKey, keyValueKey, type KeyOf } from './keys.js';

/** A key-value attribute in list form, and the keys that the override's `!reset`s remove. */
interface Entries {
  items: unknown[];
  reset: Set<string>;
}

/**
 * compose-go turns both forms (`KEY=value` lists and mappings) into lists and appends the
 * later one (its mergeToSequence); the unicity pass then keeps one entry a key, the later
 * value in the earlier place. A `!reset` on one key of a mapping removes that key from the
 * base, in list form too, where compose-go cannot.
 */
export function mergeKeyValues(base: unknown, override: unknown): unknown[] {
  const later = entries(override);
  return [...withoutKeys(entries(base).items, later.reset, keyValueKey), ...later.items];
}

/**
 * One host may have several addresses, so `extra_hosts` entries are not unique by host: the
 * later file adds what the base does not already have, entry for entry (compose-go's
 * mergeExtraHosts).
 */
export function mergeExtraHosts(base: unknown, override: unknown): unknown[] {
  const later = entries(override);
  const kept = withoutKeys(entries(base).items, later.reset, hostKey);
  return [...kept, ...later.items.filter((item) => !kept.includes(item))];
}

function entries(value: unknown): Entries {
  const reset = new Set<string>();
  if (value === null || value === undefined) return { items: [], reset };
  if (Array.isArray(value)) return { items: stripTags(value) as unknown[], reset };
  // A single value stands for a list of one: `env_file: .env`, `dns: 8.8.8.8`.
  if (!isMapping(value)) return { items: [value], reset };

  const items: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (item instanceof ResetTag) reset.add(key);
    else items.push(...asEntries(key, stripTags(item)));
  }
  // Sorted as compose-go does (a Go map has no order): the same input gives the same output.
  return { items: items.sort(), reset };
}

/** `KEY: null` is `KEY` (take it from the environment); a list of values repeats the key. */
function asEntries(key: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (value === null) return [key];
  if (Array.isArray(value)) return value.map((item) => `${key}=${asText(item)}`);
  return [`${key}=${asText(value)}`];
}

function asText(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function withoutKeys(items: unknown[], keys: Set<string>, keyOf: KeyOf): unknown[] {
  if (keys.size === 0) return items;
  return items.filter((item) => {
    const key = keyOf(item);
    return key === undefined || !keys.has(key);
  });
}
