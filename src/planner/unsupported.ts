import { UNSUPPORTED_SERVICE_KEYS } from './keys.js';
import { isMapping } from './tags.js';
import type { Warning } from './warnings.js';

/**
 * Keys tscompose keeps in the model but does not act on yet: one warning per service and
 * key, naming both, so that nobody believes a setting took effect when it did not.
 */
export function unsupportedKeyWarnings(doc: Record<string, unknown>): Warning[] {
  if (!isMapping(doc.services)) return [];
  const warnings: Warning[] = [];
  for (const name of Object.keys(doc.services).sort()) {
    const service = doc.services[name];
    if (!isMapping(service)) continue;
    for (const key of Object.keys(service).sort()) {
      const reason = UNSUPPORTED_SERVICE_KEYS.get(key);
      if (reason === undefined) continue;
      warnings.push({
        message: `${key} is not supported by tscompose yet and is ignored (${reason})`,
        path: ['services', name, key],
      });
    }
  }
  return warnings;
}
