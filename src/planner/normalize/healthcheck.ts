import type { Healthcheck } from '../model.js';
import type { Scope } from './scope.js';
import { duration } from './units.js';
import { asMapping, compact, scalarString } from './values.js';

const DURATIONS = ['interval', 'timeout', 'start_period', 'start_interval'] as const;

/**
 * `test: curl -f localhost` runs through the image's shell (`CMD-SHELL`), as Docker does;
 * `disable: true` is the engine's `["NONE"]`.
 */
export function normalizeHealthcheck(value: unknown, scope: Scope): Healthcheck {
  const raw = asMapping(value);
  const check: Healthcheck = { ...raw };
  if (raw.test !== undefined && raw.test !== null) {
    check.test = Array.isArray(raw.test)
      ? raw.test.map(scalarString)
      : ['CMD-SHELL', scalarString(raw.test)];
  }
  if (raw.disable === true) check.test = ['NONE'];
  for (const key of DURATIONS) {
    if (raw[key] !== undefined && raw[key] !== null) check[key] = duration(raw[key], scope.at(key));
  }
  return compact(check);
}
