/**
 * The inverse of normalisation for `tscompose config`: the Project as the plain object
 * `docker compose config` prints. compose-go's marshalling decides the forms: durations as
 * Go prints them (`1m30s`), byte sizes as decimal strings (`"536870912"`), file modes in
 * octal (`"0440"`), ports with `published` as a string, `extra_hosts` as sorted `host=ip`,
 * empty fields left out. Keys are sorted at every level so that the output is stable.
 */
import type {
  Build,
  Dependency,
  Deploy,
  FileObject,
  Healthcheck,
  Project,
  Service,
  ServiceFileRef,
  ServiceVolume,
  Ulimit,
} from './model.js';
import { formatDuration } from './normalize/units.js';
import { isMapping } from './tags.js';

type Plain = Record<string, unknown>;
type FieldRenderer = (value: never) => unknown;

const SERVICE_FIELDS: Record<string, FieldRenderer> = {
  blkio_config: renderBlkio,
  build: renderBuild,
  configs: renderFileRefs,
  depends_on: renderDependsOn,
  deploy: renderDeploy,
  extra_hosts: renderHosts,
  healthcheck: renderHealthcheck,
  mem_limit: bytes,
  mem_reservation: bytes,
  // compose-go types swappiness as a byte size, so `config` prints it as one.
  mem_swappiness: bytes,
  memswap_limit: bytes,
  secrets: renderFileRefs,
  shm_size: bytes,
  stop_grace_period: formatDuration,
  ulimits: renderUlimits,
  volumes: (volumes: ServiceVolume[]) => volumes.map(renderVolume),
};

const TOP_LEVEL_ORDER = ['name', 'services', 'networks', 'volumes', 'secrets', 'configs'];

// An empty command clears the image's own, so it is printed; other empty fields are not.
const KEPT_WHEN_EMPTY = new Set(['command', 'entrypoint']);

export function renderProject(project: Project): Record<string, unknown> {
  const out: Plain = {
    name: project.name,
    services: mapValues(project.services, renderService),
    networks: mapValues(project.networks, (network) => network),
    volumes: mapValues(project.volumes, (volume) => volume),
    secrets: mapValues(project.secrets, renderSecret),
    configs: mapValues(project.configs, (config) => config),
  };
  for (const section of TOP_LEVEL_ORDER.slice(2)) {
    if (isEmpty(out[section])) delete out[section];
  }
  return sortKeysDeep({ ...out, ...project.extensions }, TOP_LEVEL_ORDER) as Plain;
}

function renderService(service: Service): Plain {
  const out: Plain = {};
  for (const [key, value] of Object.entries(service)) {
    // The name is the key it is printed under; extensions are printed inline, below.
    if (key === 'name' || key === 'extensions') continue;
    // Docker Compose merges env files into `environment`, then leaves them out of `config`.
    if (key === 'env_file') continue;
    if (value === undefined || value === null) continue;
    if (isEmpty(value) && !KEPT_WHEN_EMPTY.has(key)) continue;
    const render = SERVICE_FIELDS[key];
    out[key] = render ? render(value as never) : value;
  }
  return { ...out, ...service.extensions };
}

function renderBuild(build: Build): Plain {
  return withoutUndefined({
    ...build,
    ssh: build.ssh && Object.entries(build.ssh).map(([id, path]) => (path ? `${id}=${path}` : id)),
    secrets: build.secrets && renderFileRefs(build.secrets),
    extra_hosts: build.extra_hosts && renderHosts(build.extra_hosts),
    shm_size: build.shm_size === undefined ? undefined : bytes(build.shm_size),
    ulimits: build.ulimits && renderUlimits(build.ulimits),
  });
}

/** `restart` is printed only when true, as compose-go's omitempty does. */
function renderDependsOn(dependsOn: Record<string, Dependency>): Plain {
  return mapValues(dependsOn, ({ condition, required, restart }) =>
    restart ? { condition, required, restart } : { condition, required },
  );
}

function renderDeploy(deploy: Deploy): Plain {
  const resources = deploy.resources && {
    ...deploy.resources,
    limits: deploy.resources.limits && withBytes(deploy.resources.limits, 'memory'),
    reservations:
      deploy.resources.reservations && withBytes(deploy.resources.reservations, 'memory'),
  };
  return withoutUndefined({
    ...deploy,
    resources: resources && withoutUndefined(resources),
    restart_policy:
      deploy.restart_policy && withDurations(deploy.restart_policy, ['delay', 'window']),
    update_config:
      deploy.update_config && withDurations(deploy.update_config, ['delay', 'monitor']),
    rollback_config:
      deploy.rollback_config && withDurations(deploy.rollback_config, ['delay', 'monitor']),
  });
}

function renderHealthcheck(check: Healthcheck): Plain {
  return withDurations(check, ['interval', 'timeout', 'start_period', 'start_interval']);
}

function renderVolume(volume: ServiceVolume): Plain {
  return volume.tmpfs ? { ...volume, tmpfs: withBytes(volume.tmpfs, 'size') } : { ...volume };
}

function renderFileRefs(refs: ServiceFileRef[]): Plain[] {
  return refs.map((ref) =>
    ref.mode === undefined ? { ...ref } : { ...ref, mode: octal(ref.mode) },
  );
}

/** `soft == hard` prints as the single number it is usually written as. */
function renderUlimits(ulimits: Record<string, Ulimit>): Plain {
  return mapValues(ulimits, (limit) => (limit.soft === limit.hard ? limit.soft : { ...limit }));
}

function renderHosts(hosts: Record<string, string[]>): string[] {
  const entries = Object.entries(hosts).flatMap(([host, ips]) => ips.map((ip) => `${host}=${ip}`));
  return entries.sort(compareText);
}

function renderBlkio(blkio: NonNullable<Service['blkio_config']>): Plain {
  const rates = (list?: { path: string; rate: number }[]) =>
    list?.map((device) => ({ ...device, rate: bytes(device.rate) }));
  return withoutUndefined({
    ...blkio,
    device_read_bps: rates(blkio.device_read_bps),
    device_write_bps: rates(blkio.device_write_bps),
  });
}

/** A secret's content never leaves the process: compose-go does not marshal it either. */
function renderSecret(secret: FileObject): Plain {
  const out: Plain = { ...secret };
  delete out.content;
  return out;
}

function withDurations(value: object, keys: string[]): Plain {
  const out: Plain = { ...value };
  for (const key of keys) {
    if (typeof out[key] === 'number') out[key] = formatDuration(out[key]);
  }
  return out;
}

function withBytes(value: object, key: string): Plain {
  const out: Plain = { ...value };
  if (typeof out[key] === 'number') out[key] = bytes(out[key]);
  return out;
}

function bytes(value: number): string {
  return String(value);
}

function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}

function mapValues<T>(record: Record<string, T>, render: (value: T) => unknown): Plain {
  const out: Plain = {};
  for (const [key, value] of Object.entries(record)) out[key] = render(value);
  return out;
}

function withoutUndefined(value: Plain): Plain {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined));
}

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return isMapping(value) && Object.keys(value).length === 0;
}

/** Sorts mapping keys at every level; `first` keys lead at the top level, in their order. */
function sortKeysDeep(value: unknown, first: string[] = []): unknown {
  if (Array.isArray(value)) return value.map((item) => sortKeysDeep(item));
  if (!isMapping(value)) return value;
  const rank = (key: string) => (first.includes(key) ? first.indexOf(key) : first.length);
  const keys = Object.keys(value).sort((a, b) => rank(a) - rank(b) || compareText(a, b));
  return Object.fromEntries(keys.map((key) => [key, sortKeysDeep(value[key])]));
}

/** Code-point order, as Go sorts strings, whatever the locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
