/**
 * Which compose service keys tscompose acts on, and why it does not act on the others.
 * The planner warns by name when a file uses one of the others; docs/compose-keys.md shows
 * the same table, and test/planner/validate.test.ts keeps both in step with the schema.
 */
export type KeyStatus = 'supported' | 'planned' | 'ignored';

interface KeyEntry {
  status: KeyStatus;
  /** Completes "… is not supported by tscompose yet and is ignored (<reason>)". */
  reason?: string;
}

const supported: KeyEntry = { status: 'supported' };
const planned = (reason: string): KeyEntry => ({ status: 'planned', reason });
const ignored = (reason: string): KeyEntry => ({ status: 'ignored', reason });

const WINDOWS_ONLY = 'Windows containers only';
const SWARM_ONLY = 'Docker Swarm only';

/** Every key of a service, and the keys below `build` and `deploy` by dotted path. */
const KEYS: Record<string, KeyEntry> = {
  annotations: planned('OCI annotations are not written into the container config yet'),
  attach: planned('up streams the logs of every service'),
  blkio_config: planned('block IO limits are not written into the cgroup yet'),
  build: supported,
  cap_add: supported,
  cap_drop: supported,
  cgroup: planned('containers always get a private cgroup namespace where the host allows it'),
  cgroup_parent: ignored('containers live under the cgroup tscompose creates for the project'),
  command: supported,
  configs: supported,
  container_name: supported,
  cpu_count: ignored(WINDOWS_ONLY),
  cpu_percent: ignored(WINDOWS_ONLY),
  cpu_period: planned('use cpus, which sets the CFS quota and period'),
  cpu_quota: planned('use cpus, which sets the CFS quota and period'),
  cpu_rt_period: ignored('real-time scheduling needs a kernel built with RT group scheduling'),
  cpu_rt_runtime: ignored('real-time scheduling needs a kernel built with RT group scheduling'),
  cpu_shares: supported,
  cpus: supported,
  cpuset: supported,
  credential_spec: ignored(WINDOWS_ONLY),
  depends_on: supported,
  deploy: supported,
  develop: supported,
  device_cgroup_rules: planned('device rules are not written into the cgroup yet'),
  devices: planned('host devices are not mapped into containers yet'),
  dns: supported,
  dns_opt: supported,
  dns_search: supported,
  domainname: supported,
  entrypoint: supported,
  env_file: supported,
  environment: supported,
  expose: supported,
  extends: supported,
  external_links: ignored('links to containers outside the project need a Docker daemon'),
  extra_hosts: supported,
  gpus: planned('GPU access needs the NVIDIA container toolkit hook'),
  group_add: planned('supplementary groups are not resolved yet'),
  healthcheck: supported,
  hostname: supported,
  image: supported,
  init: supported,
  ipc: supported,
  isolation: ignored(WINDOWS_ONLY),
  label_file: planned('label files are not read yet; use labels'),
  labels: supported,
  links: supported,
  logging: ignored("conmon writes every container's output to tscompose's own log files"),
  mac_address: planned('the kernel assigns MAC addresses'),
  mem_limit: supported,
  mem_reservation: planned('soft memory limits are not set in the cgroup yet'),
  mem_swappiness: planned('swappiness is not set in the cgroup yet'),
  memswap_limit: supported,
  models: ignored('models run on Docker Model Runner'),
  network_mode: supported,
  networks: supported,
  oom_kill_disable: planned('the OOM killer setting is not written into the cgroup yet'),
  oom_score_adj: planned('the OOM score is not written into the container config yet'),
  pid: supported,
  pids_limit: supported,
  platform: supported,
  ports: supported,
  post_start: supported,
  pre_start: planned('pre_start hooks (a container run before the service) are not run yet'),
  pre_stop: supported,
  privileged: supported,
  profiles: supported,
  provider: ignored('provider services are run by Docker Compose plugins'),
  pull_policy: supported,
  read_only: supported,
  restart: supported,
  runtime: planned('containers run with runc, or crun where the host has only cgroup v2'),
  scale: supported,
  secrets: supported,
  security_opt: supported,
  shm_size: supported,
  stdin_open: supported,
  stop_grace_period: supported,
  stop_signal: supported,
  storage_opt: ignored('per-container storage quotas need a storage driver with quotas'),
  sysctls: supported,
  tmpfs: supported,
  tty: supported,
  ulimits: supported,
  use_api_socket: ignored('there is no Docker API socket to share'),
  user: supported,
  userns_mode: planned('user namespaces come with rootless mode'),
  uts: planned('containers always get their own UTS namespace'),
  volume_driver: ignored('volume plugins need a Docker daemon'),
  volumes: supported,
  volumes_from: supported,
  working_dir: supported,

  'build.additional_contexts': planned('the builder reads one context'),
  'build.args': supported,
  'build.cache_from': planned('the build cache is local to this machine'),
  'build.cache_to': planned('the build cache is local to this machine'),
  'build.context': supported,
  'build.dockerfile': supported,
  'build.dockerfile_inline': supported,
  'build.entitlements': planned('RUN steps get no extra privileges yet'),
  'build.extra_hosts': planned('RUN steps see the default hosts file'),
  'build.isolation': ignored(WINDOWS_ONLY),
  'build.labels': supported,
  'build.network': planned('RUN steps use the default build network'),
  'build.no_cache': supported,
  'build.no_cache_filter': planned('no_cache turns the whole cache off'),
  'build.platforms': planned('building for another architecture needs emulation'),
  'build.privileged': planned('RUN steps get no extra privileges yet'),
  'build.provenance': ignored('attestations are a BuildKit feature'),
  'build.pull': planned('base images are pulled only when missing'),
  'build.sbom': ignored('attestations are a BuildKit feature'),
  'build.secrets': planned('build secrets are not mounted into RUN steps yet'),
  'build.shm_size': planned('RUN steps get the default /dev/shm'),
  'build.ssh': planned('the SSH agent is not forwarded into RUN steps yet'),
  'build.tags': supported,
  'build.target': supported,
  'build.ulimits': planned('RUN steps get the default limits'),

  'deploy.endpoint_mode': ignored(SWARM_ONLY),
  'deploy.labels': ignored('labels of a Swarm service, not of its containers'),
  'deploy.mode': ignored(SWARM_ONLY),
  'deploy.placement': ignored(SWARM_ONLY),
  'deploy.replicas': planned('use scale'),
  'deploy.resources': supported,
  'deploy.restart_policy': planned('use restart'),
  'deploy.rollback_config': ignored(SWARM_ONLY),
  'deploy.update_config': ignored(SWARM_ONLY),
};

const entries = Object.entries(KEYS);
const isServiceKey = (key: string) => !key.includes('.');

/** The status of every service key, and of the keys below `build` and `deploy` (`deploy.mode`). */
export const SERVICE_KEY_STATUS: ReadonlyMap<string, KeyStatus> = new Map(
  entries.map(([key, entry]) => [key, entry.status]),
);

export const SUPPORTED_SERVICE_KEYS: ReadonlySet<string> = new Set(
  entries
    .filter(([key, entry]) => isServiceKey(key) && entry.status === 'supported')
    .map(([key]) => key),
);

/** Service keys tscompose accepts but does not act on, with the reason. */
export const UNSUPPORTED_SERVICE_KEYS: ReadonlyMap<string, string> = reasons(isServiceKey);

/** The same for the keys below `build` and `deploy`, by dotted path: `deploy.placement`. */
export const UNSUPPORTED_NESTED_KEYS: ReadonlyMap<string, string> = reasons(
  (key) => !isServiceKey(key),
);

function reasons(select: (key: string) => boolean): ReadonlyMap<string, string> {
  return new Map(
    entries.flatMap(([key, { reason }]) => (select(key) && reason ? [[key, reason] as const] : [])),
  );
}
