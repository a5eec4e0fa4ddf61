/** Resource limits: ulimits, `deploy` (resources, restart and update policies), blkio. */
import type { BlkioConfig, Deploy, ResourceLimit, Ulimit, UpdateConfig } from '../model.js';
import type { Scope } from './scope.js';
import { byteSize, decimal, duration } from './units.js';
import { asMapping, compact, optionalField, stringMapping } from './values.js';

/** `nofile: 1024` is `{soft: 1024, hard: 1024}`. */
export function normalizeUlimits(value: unknown, scope: Scope): Record<string, Ulimit> {
  const out: Record<string, Ulimit> = {};
  for (const [name, limit] of Object.entries(asMapping(value))) {
    const at = scope.at(name);
    const raw =
      typeof limit === 'object' && limit !== null ? asMapping(limit) : { soft: limit, hard: limit };
    const ulimit = {
      soft: decimal(raw.soft, at.at('soft')),
      hard: decimal(raw.hard, at.at('hard')),
    };
    if (ulimit.soft > ulimit.hard) {
      throw at.invalid(
        `soft limit ${ulimit.soft} is above hard limit ${ulimit.hard}`,
        'the soft limit must be at most the hard limit',
      );
    }
    out[name] = ulimit;
  }
  return out;
}

export function normalizeDeploy(value: unknown, scope: Scope): Deploy {
  const raw = asMapping(value);
  const optional = <T>(key: string, normalize: (value: unknown, scope: Scope) => T) =>
    optionalField(raw, key, scope, normalize);

  return compact({
    ...raw,
    labels: optional('labels', stringMapping),
    resources: optional('resources', (resources, at) => {
      const both = asMapping(resources);
      return compact({
        ...both,
        limits: optionalField(both, 'limits', at, resourceLimit),
        reservations: optionalField(both, 'reservations', at, resourceLimit),
      });
    }),
    restart_policy: optional('restart_policy', (policy, at) =>
      withDurations(asMapping(policy), ['delay', 'window'], at),
    ),
    update_config: optional('update_config', updateConfig),
    rollback_config: optional('rollback_config', updateConfig),
  });
}

/** `cpus: '0.5'` as a number of CPUs, `memory: 512m` in bytes. */
function resourceLimit(value: unknown, scope: Scope): ResourceLimit {
  const raw = asMapping(value);
  return compact({
    ...raw,
    cpus: optionalField(raw, 'cpus', scope, decimal),
    memory: optionalField(raw, 'memory', scope, byteSize),
    pids: optionalField(raw, 'pids', scope, decimal),
  });
}

function updateConfig(value: unknown, scope: Scope): UpdateConfig {
  return withDurations(asMapping(value), ['delay', 'monitor'], scope);
}

function withDurations<T extends Record<string, unknown>>(raw: T, keys: string[], scope: Scope): T {
  const out: Record<string, unknown> = { ...raw };
  for (const key of keys) {
    if (raw[key] !== undefined && raw[key] !== null) out[key] = duration(raw[key], scope.at(key));
  }
  return out as T;
}

/** Throttle rates are byte sizes (`device_read_bps: [{path: /dev/sda, rate: 12mb}]`). */
export function normalizeBlkio(value: unknown, scope: Scope): BlkioConfig {
  const raw = asMapping(value);
  const out: Record<string, unknown> = { ...raw };
  for (const key of ['device_read_bps', 'device_write_bps']) {
    if (!Array.isArray(raw[key])) continue;
    out[key] = raw[key].map((entry: unknown, index: number) => {
      const device = asMapping(entry);
      return { ...device, rate: byteSize(device.rate, scope.at(key, index, 'rate')) };
    });
  }
  return out as BlkioConfig;
}
