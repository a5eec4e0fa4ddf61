import type { WatchRule } from '../model.js';
import { normalizeHook } from './hooks.js';
import type { Scope } from './scope.js';
import { asMapping, compact, scalarString, stringList } from './values.js';

/**
 * `develop.watch` with absolute paths. A rule that lists several paths becomes one rule
 * per path, as compose-go does.
 */
export function normalizeDevelop(value: unknown, scope: Scope): Record<string, unknown> {
  const raw = asMapping(value);
  if (raw.watch === undefined) return raw;
  const rules = Array.isArray(raw.watch) ? raw.watch : [];
  const watch = rules.flatMap((rule, index) =>
    watchRules(asMapping(rule), scope.at('watch', index)),
  );
  return { ...raw, watch };
}

function watchRules(raw: Record<string, unknown>, scope: Scope): WatchRule[] {
  return stringList(raw.path).map((path) =>
    compact({
      ...raw,
      path: scope.hostPath(path),
      action: scalarString(raw.action) as WatchRule['action'],
      target: raw.target === undefined ? undefined : scalarString(raw.target),
      ignore: raw.ignore === undefined ? undefined : stringList(raw.ignore),
      include: raw.include === undefined ? undefined : stringList(raw.include),
      exec:
        raw.exec === undefined ? undefined : normalizeHook(asMapping(raw.exec), scope.at('exec')),
    }),
  );
}
