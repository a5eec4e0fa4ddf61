/**
 * Compose's merge tags. The YAML parser wraps a value tagged `!reset` or `!override` in
 * one of these; the merge step acts on them and unwraps them, so no later step sees one.
 */
export class ResetTag {
  constructor(readonly value: unknown) {}
}

export class OverrideTag {
  constructor(readonly value: unknown) {}
}

export function isTagged(value: unknown): value is ResetTag | OverrideTag {
  return value instanceof ResetTag || value instanceof OverrideTag;
}

/** Removes every tag from a tree: `!reset` values disappear, `!override` values stay as is. */
export function stripTags(value: unknown): unknown {
  if (value instanceof ResetTag) return undefined;
  if (value instanceof OverrideTag) return stripTags(value.value);
  if (Array.isArray(value)) {
    return value.map(stripTags).filter((item) => item !== undefined);
  }
  if (isMapping(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const stripped = stripTags(item);
      if (stripped !== undefined) out[key] = stripped;
    }
    return out;
  }
  return value;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isTagged(value);
}
