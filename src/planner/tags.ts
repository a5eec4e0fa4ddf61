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

/**
 * Removes every tag from a tree: `!reset` values disappear, `!override` values stay as is.
 * Subtrees without tags are returned as they are, not copied: most documents have none.
 */
export function stripTags(value: unknown): unknown {
  if (value instanceof ResetTag) return undefined;
  if (value instanceof OverrideTag) return stripTags(value.value);
  if (Array.isArray(value)) {
    let changed = false;
    const items: unknown[] = [];
    for (const item of value) {
      const stripped = stripTags(item);
      if (stripped !== item) changed = true;
      if (stripped !== undefined) items.push(stripped);
    }
    return changed ? items : value;
  }
  if (isMapping(value)) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = value[key];
      const stripped = stripTags(item);
      if (stripped !== item) changed = true;
      if (stripped !== undefined) out[key] = stripped;
    }
    return changed ? out : value;
  }
  return value;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isTagged(value);
}
