import type { Service } from '../planner/model.js';

/**
 * Service keys the planner understands but the engine does not act on yet, with what
 * happens instead. `up` warns once per service and key, so a stack never silently runs
 * differently from what its file says; docs/compose-keys.md lists the same.
 */
export const NOT_APPLIED_YET: Record<string, string> = {
  develop: 'the file watcher is not there yet',
};

/** The keys of NOT_APPLIED_YET this service uses, with the reason for each. */
export function notAppliedYet(service: Service): { key: string; reason: string }[] {
  const found: { key: string; reason: string }[] = [];
  for (const [key, reason] of Object.entries(NOT_APPLIED_YET)) {
    const value = service[key];
    if (value === undefined || value === false) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    found.push({ key, reason });
  }
  return found;
}
