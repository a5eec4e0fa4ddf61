import type { YamlPath } from '../path.js';
import { isMapping, stripTags } from '../tags.js';
import { matches, pattern, type At, type Pattern } from './at.js';
import { mergeIpamConfig } from './ipam.js';
import { mergeExtraHosts, mergeKeyValues } from './key-values.js';
import { mismatch } from './mismatch.js';

export type MergeMappings = (
  base: Record<string, unknown>,
  override: Record<string, unknown>,
  at: At,
) => Record<string, unknown>;

/** A merge of its own for one place in the document; it gets the mapping merge to recurse with. */
export type Rule = (base: unknown, override: unknown, at: At, mappings: MergeMappings) => unknown;

/** Keys whose list or mapping forms both become `KEY=value` lists, as compose-go writes them. */
const KEY_VALUE_PATHS = [
  'services.*.annotations',
  'services.*.build.additional_contexts',
  'services.*.build.args',
  'services.*.build.labels',
  'services.*.deploy.labels',
  'services.*.dns',
  'services.*.dns_opt',
  'services.*.dns_search',
  'services.*.env_file',
  'services.*.environment',
  'services.*.label_file',
  'services.*.labels',
  'services.*.sysctls',
  'services.*.tmpfs',
  'networks.*.labels',
  'volumes.*.labels',
  // Not in compose-go's table, which refuses a list merged over a mapping here; labels take
  // both forms everywhere else, so they merge the same way.
  'configs.*.labels',
  'secrets.*.labels',
];

/** compose-go's `mergeSpecials` (override/merge.go), the same paths and the same behaviour. */
const RULES: readonly (readonly [Pattern, Rule])[] = [
  ...KEY_VALUE_PATHS.map((path) => [pattern(path), mergeKeyValues] as const),
  [pattern('services.*.command'), replace],
  [pattern('services.*.entrypoint'), replace],
  [pattern('services.*.healthcheck.test'), replace],
  [pattern('services.*.ulimits.*'), replace],
  // Flags are an ordered command line: appending would repeat options such as `--batch-size`.
  [pattern('models.*.runtime_flags'), replace],
  [pattern('services.*.extra_hosts'), mergeExtraHosts],
  [pattern('services.*.build.extra_hosts'), mergeExtraHosts],
  [pattern('services.*.build'), mergeBuild],
  [pattern('services.*.logging'), mergeLogging],
  [pattern('services.*.depends_on'), mergeDependsOn],
  [pattern('services.*.networks'), mergeByName],
  [pattern('services.*.models'), mergeByName],
  [pattern('networks.*.ipam.config'), mergeIpamConfig],
];

export function ruleAt(path: YamlPath): Rule | undefined {
  return RULES.find(([rulePattern]) => matches(rulePattern, path))?.[1];
}

function replace(_base: unknown, override: unknown): unknown {
  return stripTags(override);
}

/** A build given as a string is its context, so the two forms can merge. */
function mergeBuild(base: unknown, override: unknown, at: At, mappings: MergeMappings): unknown {
  const asMapping = (value: unknown): Record<string, unknown> => {
    if (typeof value === 'string') return { context: value };
    if (value === null) return {};
    if (isMapping(value)) return value;
    throw mismatch(at, base, override);
  };
  return mappings(asMapping(base), asMapping(override), at);
}

/**
 * Docker Compose merges logging options only when both files name the same driver, or one of
 * them names none; a different driver replaces the whole block, since options are per driver.
 */
function mergeLogging(base: unknown, override: unknown, at: At, mappings: MergeMappings): unknown {
  if (override === null) return base;
  if (!isMapping(override)) throw mismatch(at, base, override);
  if (!isMapping(base)) return stripTags(override);

  const driver = stripTags(override.driver);
  const sameDriver = driver === undefined || base.driver === undefined || driver === base.driver;
  return sameDriver ? mappings(base, override, at) : stripTags(override);
}

/** A list of services becomes their mapping with compose's defaults, so both forms merge. */
function mergeDependsOn(
  base: unknown,
  override: unknown,
  at: At,
  mappings: MergeMappings,
): unknown {
  const started = () => ({ condition: 'service_started', required: true });
  const [earlier, later] = [byName(base, started), byName(override, started)];
  if (!earlier || !later) throw mismatch(at, base, override);
  return mappings(earlier, later, at);
}

/** `networks` and `models`: a list of names is a mapping of names to null. */
function mergeByName(base: unknown, override: unknown, at: At, mappings: MergeMappings): unknown {
  const none = () => null;
  const [earlier, later] = [byName(base, none), byName(override, none)];
  if (!earlier || !later) throw mismatch(at, base, override);
  return mappings(earlier, later, at);
}

function byName(value: unknown, entry: () => unknown): Record<string, unknown> | undefined {
  if (value === null) return {};
  if (isMapping(value)) return value;
  if (!Array.isArray(value)) return undefined;

  const names = stripTags(value) as unknown[];
  return Object.fromEntries(names.map((name) => [String(name), entry()]));
}
