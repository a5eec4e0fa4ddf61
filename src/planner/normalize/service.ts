/**
 * One service in long form. Each field with a short syntax has its normaliser in the table
 * below; fields without one are kept as written. Fields that depend on others (environment
 * and env files, labels and label files, implied dependencies) are settled afterwards.
 */
import type { Device, Service } from '../model.js';
import { normalizeBuild } from './build.js';
import { normalizeCommand } from './command.js';
import { addImpliedDependencies, normalizeDependsOn } from './dependencies.js';
import { normalizeDevelop } from './develop.js';
import {
  normalizeEnvFiles,
  normalizeLabelFiles,
  settleEnvironment,
  settleLabels,
} from './environment.js';
import { normalizeFileRefs } from './filerefs.js';
import { normalizeHealthcheck } from './healthcheck.js';
import { inheritHookImage, normalizeHooks } from './hooks.js';
import { normalizeBlkio, normalizeDeploy, normalizeUlimits } from './limits.js';
import { normalizeExtraHosts, normalizeServiceNetworks } from './networks.js';
import { normalizePorts } from './ports.js';
import type { Scope } from './scope.js';
import { byteSize, decimal, duration } from './units.js';
import {
  asMapping,
  compact,
  equalsMapping,
  isEmpty,
  scalarString,
  splitExtensions,
  stringList,
  stringMapping,
} from './values.js';
import { normalizeVolumes } from './volumes.js';

type FieldNormalizer = (value: unknown, scope: Scope) => unknown;

const FIELDS: Record<string, FieldNormalizer> = {
  annotations: stringMapping,
  blkio_config: normalizeBlkio,
  build: normalizeBuild,
  command: normalizeCommand,
  configs: normalizeFileRefs,
  cpus: decimal,
  depends_on: normalizeDependsOn,
  deploy: normalizeDeploy,
  develop: normalizeDevelop,
  devices: normalizeDevices,
  dns: stringList,
  dns_search: stringList,
  entrypoint: normalizeCommand,
  env_file: normalizeEnvFiles,
  environment: equalsMapping,
  expose: stringList,
  extra_hosts: normalizeExtraHosts,
  healthcheck: normalizeHealthcheck,
  label_file: normalizeLabelFiles,
  labels: stringMapping,
  logging: normalizeLogging,
  mem_limit: byteSize,
  mem_reservation: byteSize,
  mem_swappiness: decimal,
  memswap_limit: byteSize,
  networks: normalizeServiceNetworks,
  pids_limit: decimal,
  ports: normalizePorts,
  post_start: normalizeHooks,
  pre_start: normalizeHooks,
  pre_stop: normalizeHooks,
  // Docker Compose renamed this policy; both spellings mean "pull when missing".
  pull_policy: (value) => (value === 'if_not_present' ? 'missing' : value),
  secrets: normalizeFileRefs,
  shm_size: byteSize,
  stop_grace_period: duration,
  storage_opt: stringMapping,
  sysctls: stringMapping,
  tmpfs: stringList,
  ulimits: normalizeUlimits,
  volumes: normalizeVolumes,
};

export function normalizeService(name: string, value: unknown, scope: Scope): Service {
  const { fields, extensions } = splitExtensions(asMapping(value));
  const service: Service = { name, environment: {} };
  for (const [key, field] of Object.entries(fields)) {
    // A null field is an unset one: compose-go decodes it to the zero value.
    if (field === null || field === undefined) continue;
    const normalize = FIELDS[key];
    service[key] = normalize ? normalize(field, scope.at(key)) : field;
  }

  settleEnvironment(service, scope);
  settleLabels(service, scope);
  addImpliedDependencies(service);
  inheritHookImage(service.pre_start, service.image);
  if (!isEmpty(extensions)) service.extensions = extensions;
  return compact(service);
}

/** `/dev/ttyUSB0`, `/dev/sda:/dev/xvda`, `/dev/sda:/dev/xvda:r`; the default permissions are rwm. */
function normalizeDevices(value: unknown, scope: Scope): Device[] {
  const entries = Array.isArray(value) ? value : [value];
  return entries.map((entry, index) => {
    if (typeof entry !== 'string') return asMapping(entry) as unknown as Device;
    const parts = entry.split(':');
    if (parts.length > 3) {
      throw scope
        .at(index)
        .invalid(
          `confusing device mapping ${JSON.stringify(entry)}`,
          'use the long syntax: source, target, permissions',
        );
    }
    const [source, target = source, permissions = 'rwm'] = parts as [string, string?, string?];
    return { source, target, permissions };
  });
}

function normalizeLogging(value: unknown): Service['logging'] {
  const raw = asMapping(value);
  return compact({
    ...raw,
    driver: raw.driver === undefined ? undefined : scalarString(raw.driver),
    options:
      raw.options === undefined || raw.options === null ? undefined : stringMapping(raw.options),
  });
}
