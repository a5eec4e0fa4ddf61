import type { YamlPath } from '../path.js';
import { isMapping } from '../tags.js';
import { matches, pattern, type Pattern } from './at.js';
import {
  deviceTarget,
  envFilePath,
  keyValueKey,
  mountTarget,
  portKey,
  scalarKey,
  volumeTarget,
  type KeyOf,
} from './keys.js';

const KEY_VALUE_PATHS = [
  'networks.*.ipam.options',
  'networks.*.labels',
  'volumes.*.labels',
  'configs.*.labels',
  'secrets.*.labels',
  'services.*.annotations',
  'services.*.build.additional_contexts',
  'services.*.build.args',
  'services.*.build.labels',
  // compose-go keys `platform`; the spec's key is `platforms`.
  'services.*.build.platform',
  'services.*.build.platforms',
  'services.*.build.tags',
  'services.*.cap_add',
  'services.*.cap_drop',
  'services.*.deploy.labels',
  'services.*.dns',
  'services.*.dns_opt',
  'services.*.dns_search',
  'services.*.environment',
  'services.*.labels',
  'services.*.links',
  'services.*.networks.*.aliases',
  'services.*.networks.*.link_local_ips',
  'services.*.profiles',
  'services.*.sysctls',
  'services.*.tmpfs',
];

/** compose-go's `unique` table (override/uncity.go): the lists whose entries have a key. */
const UNIQUE: readonly (readonly [Pattern, KeyOf])[] = [
  ...KEY_VALUE_PATHS.map((path) => [pattern(path), keyValueKey] as const),
  [pattern('services.*.configs'), mountTarget('')],
  [pattern('services.*.devices'), deviceTarget],
  [pattern('services.*.env_file'), envFilePath],
  [pattern('services.*.expose'), scalarKey],
  [pattern('services.*.ports'), portKey],
  [pattern('services.*.secrets'), mountTarget('/run/secrets')],
  [pattern('services.*.volumes'), volumeTarget],
];

/**
 * compose-go's EnforceUnicity: in a keyed list, a later entry with the key of an earlier one
 * takes the earlier one's place. It runs on the whole merged tree, so duplicates written in a
 * single file go too.
 */
export function enforceUnicity(value: unknown, path: YamlPath): unknown {
  if (isMapping(value)) {
    const entries = Object.entries(value).map(([key, item]) => {
      return [key, enforceUnicity(item, [...path, key])] as const;
    });
    return Object.fromEntries(entries);
  }
  if (!Array.isArray(value)) return value;

  const keyOf = UNIQUE.find(([uniquePattern]) => matches(uniquePattern, path))?.[1];
  return keyOf ? unique(value, keyOf) : value;
}

function unique(items: unknown[], keyOf: KeyOf): unknown[] {
  const out: unknown[] = [];
  const placeOf = new Map<string, number>();
  for (const item of items) {
    const key = keyOf(item);
    const place = key === undefined ? undefined : placeOf.get(key);
    if (place !== undefined) {
      out[place] = item;
      continue;
    }
    if (key !== undefined) placeOf.set(key, out.length);
    out.push(item);
  }
  return out;
}
