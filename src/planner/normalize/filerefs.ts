/** A service's `secrets`, `configs` and `build.secrets`: `- name` is `{source: name}`. */
import type { ServiceFileRef } from '../model.js';
import type { Scope } from './scope.js';
import { fileMode } from './units.js';
import { asMapping, compact, scalarString } from './values.js';

export function normalizeFileRefs(value: unknown, scope: Scope): ServiceFileRef[] {
  const entries = Array.isArray(value) ? value : [value];
  return entries.map((entry, index) => {
    if (typeof entry === 'string') return { source: entry };
    const raw = asMapping(entry);
    const at = scope.at(index);
    return compact({
      ...raw,
      source: scalarString(raw.source),
      target: optionalString(raw.target),
      uid: optionalString(raw.uid),
      gid: optionalString(raw.gid),
      mode:
        raw.mode === undefined || raw.mode === null ? undefined : fileMode(raw.mode, at.at('mode')),
    });
  });
}

function optionalString(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : scalarString(value);
}
