import { isMapping } from '../tags.js';
import type { Scope } from './scope.js';

export type RawMapping = Record<string, unknown>;

/** A mapping as written, or an empty one where the document has `null` or nothing. */
export function asMapping(value: unknown): RawMapping {
  return isMapping(value) ? value : {};
}

/**
 * A scalar as compose-go prints it when a string is wanted (fmt.Sprint): numbers and
 * booleans as written, null as the empty string.
 */
export function scalarString(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value);
}

/** `x` or `[x, y]`: the fields the specification types as "string or list". */
export function stringList(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value.map(scalarString) : [scalarString(value)];
}

/**
 * `[KEY=value, KEY]` or `{KEY: value}` into a mapping where a key with no value is null,
 * as compose-go's MappingWithEquals (environment, build args): null later means "take it
 * from the environment, if there".
 */
export function equalsMapping(value: unknown): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      const text = scalarString(item);
      const cut = text.indexOf('=');
      if (cut < 0) out[text] = null;
      else out[text.slice(0, cut)] = text.slice(cut + 1);
    }
    return out;
  }
  for (const [key, item] of Object.entries(asMapping(value))) {
    out[key] = item === null || item === undefined ? null : scalarString(item);
  }
  return out;
}

/** The same forms where a missing value is the empty string (labels, annotations, sysctls). */
export function stringMapping(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(equalsMapping(value))) out[key] = item ?? '';
  return out;
}

/** Splits `x-*` keys from the rest: compose keeps them as the object's extensions. */
export function splitExtensions(raw: RawMapping): { fields: RawMapping; extensions: RawMapping } {
  const fields: RawMapping = {};
  const extensions: RawMapping = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('x-')) extensions[key] = value;
    else fields[key] = value;
  }
  return { fields, extensions };
}

/** Drops keys whose value is undefined, so that objects compare and print cleanly. */
export function compact<T extends object>(value: T): T {
  const out: RawMapping = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) out[key] = item;
  }
  return out as T;
}

export function isEmpty(value: object): boolean {
  return Object.keys(value).length === 0;
}

/** Normalises `raw[key]` where the document sets it; an absent or null key stays absent. */
export function optionalField<T>(
  raw: RawMapping,
  key: string,
  scope: Scope,
  normalize: (value: unknown, scope: Scope) => T,
): T | undefined {
  const value = raw[key];
  return value === undefined || value === null ? undefined : normalize(value, scope.at(key));
}
