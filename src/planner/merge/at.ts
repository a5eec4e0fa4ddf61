import type { YamlPath } from '../path.js';

/**
 * Where the merge walk is. `path` is what the rule tables match (`services.*.ports`);
 * `shown` names the same place in the user's words for error messages. They differ only
 * when one service is merged on its own (`extends`): rules still match as if it sat under
 * `services`, while errors name keys relative to the service.
 */
export interface At {
  readonly path: YamlPath;
  readonly shown: YamlPath;
}

export const DOCUMENT: At = { path: [], shown: [] };

export const SERVICE: At = { path: ['services', '*'], shown: [] };

export function step(at: At, key: string | number): At {
  return { path: [...at.path, key], shown: [...at.shown, key] };
}

/** A dotted pattern in compose-go's style, `*` standing for any one key: `services.*.ports`. */
export type Pattern = readonly string[];

export function pattern(dotted: string): Pattern {
  return dotted.split('.');
}

export function matches(pattern: Pattern, path: YamlPath): boolean {
  if (pattern.length !== path.length) return false;
  return pattern.every((segment, i) => segment === '*' || segment === String(path[i]));
}
