/** Lifecycle hooks: `post_start`, `pre_stop`, `pre_start`. */
import type { ServiceHook } from '../model.js';
import { normalizeCommand } from './command.js';
import type { Scope } from './scope.js';
import { asMapping, compact, equalsMapping } from './values.js';

export function normalizeHooks(value: unknown, scope: Scope): ServiceHook[] {
  const entries = Array.isArray(value) ? value : [value];
  return entries.map((entry, index) => normalizeHook(asMapping(entry), scope.at(index)));
}

export function normalizeHook(raw: Record<string, unknown>, scope: Scope): ServiceHook {
  return compact({
    ...raw,
    command:
      raw.command === undefined ? undefined : normalizeCommand(raw.command, scope.at('command')),
    environment: raw.environment === undefined ? undefined : equalsMapping(raw.environment),
  });
}

/** A `pre_start` hook runs in a container of the service's image unless it names another. */
export function inheritHookImage(
  hooks: ServiceHook[] | undefined,
  image: string | undefined,
): void {
  if (!image) return;
  for (const hook of hooks ?? []) hook.image ??= image;
}
