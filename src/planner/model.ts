/**
 * The typed, normalised project: every short form expanded to its long form, with the
 * key names `docker compose config` prints. Keys tscompose does not model yet are kept
 * as they were (the index signatures) and reported as unsupported by the planner.
 */

export interface Project {
  name: string;
  /** Absolute project directory: relative paths in the files resolve against it. */
  workingDir: string;
  /** The compose files, absolute, in the order they were merged. */
  files: string[];
  services: Record<string, Service>;
  /** Services disabled by profiles: kept so that `config --profiles` and errors can name them. */
  disabledServices: Record<string, Service>;
  networks: Record<string, Network>;
  volumes: Record<string, Volume>;
  secrets: Record<string, FileObject>;
  configs: Record<string, FileObject>;
  /** Top-level `x-*` keys. */
  extensions: Record<string, unknown>;
  /** Profiles enabled for this load (`--profile`, `COMPOSE_PROFILES`). */
  profiles: string[];
  /** The variables interpolation saw, after `.env`: used for build args and `environment` keys with no value. */
  environment: Record<string, string>;
}

export type DependencyCondition =
  'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface Dependency {
  condition: DependencyCondition;
  required: boolean;
  restart: boolean;
}

export interface Port {
  name?: string;
  mode: 'ingress' | 'host';
  host_ip?: string;
  target: number;
  /** A single port or a range (`8000-8010`) as Docker Compose prints it; absent: ephemeral. */
  published?: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  app_protocol?: string;
}

export interface ServiceVolume {
  type: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | 'image';
  source?: string;
  target: string;
  read_only?: boolean;
  consistency?: string;
  bind?: {
    propagation?: string;
    create_host_path?: boolean;
    selinux?: 'z' | 'Z';
    recursive?: string;
  };
  volume?: { nocopy?: boolean; subpath?: string };
  /** `size` in bytes. */
  tmpfs?: { size?: number; mode?: number };
  image?: { subpath?: string };
}

export interface Healthcheck {
  /** `["NONE"]`, `["CMD", …]` or `["CMD-SHELL", "…"]`; absent means the image's. */
  test?: string[];
  /** Durations in milliseconds. */
  interval?: number;
  timeout?: number;
  start_period?: number;
  start_interval?: number;
  retries?: number;
  disable?: boolean;
}

export interface Build {
  /** Absolute, or a URL / `service:` reference left as written. */
  context: string;
  dockerfile?: string;
  dockerfile_inline?: string;
  args?: Record<string, string | null>;
  target?: string;
  labels?: Record<string, string>;
  cache_from?: string[];
  cache_to?: string[];
  network?: string;
  shm_size?: number;
  extra_hosts?: Record<string, string[]>;
  platforms?: string[];
  tags?: string[];
  no_cache?: boolean;
  pull?: boolean;
  additional_contexts?: Record<string, string>;
  secrets?: ServiceFileRef[];
  /** Key id to key path; an empty path is the agent's default (`ssh: [default]`). */
  ssh?: Record<string, string>;
  ulimits?: Record<string, Ulimit>;
  [key: string]: unknown;
}

export interface ServiceNetwork {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  mac_address?: string;
  priority?: number;
  link_local_ips?: string[];
  driver_opts?: Record<string, string>;
  gw_priority?: number;
  interface_name?: string;
}

/** `nofile: 1024` is `{ soft: 1024, hard: 1024 }`. */
export interface Ulimit {
  soft: number;
  hard: number;
}

export interface ServiceFileRef {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  /** Permission bits; `config` prints them in octal (`"0440"`). */
  mode?: number;
}

export interface EnvFile {
  path: string;
  required: boolean;
  format?: string;
}

/** `cpus` as a number of CPUs, `memory` in bytes. */
export interface ResourceLimit {
  cpus?: number;
  memory?: number;
  pids?: number;
  devices?: unknown[];
  generic_resources?: unknown[];
  [key: string]: unknown;
}

export interface Resources {
  limits?: ResourceLimit;
  reservations?: ResourceLimit;
}

/** Durations in milliseconds. */
export interface UpdateConfig {
  parallelism?: number;
  delay?: number;
  failure_action?: string;
  monitor?: number;
  max_failure_ratio?: number;
  order?: string;
  [key: string]: unknown;
}

export interface Deploy {
  mode?: string;
  replicas?: number;
  resources?: Resources;
  /** `delay` and `window` in milliseconds. */
  restart_policy?: { condition?: string; delay?: number; max_attempts?: number; window?: number };
  update_config?: UpdateConfig;
  rollback_config?: UpdateConfig;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

export interface Device {
  source: string;
  target: string;
  permissions: string;
}

/** A command run at a point of the container's life: `post_start`, `pre_stop`, `pre_start`. */
export interface ServiceHook {
  command?: string[];
  /** `pre_start` only: the image to run in, the service's own by default. */
  image?: string;
  user?: string;
  privileged?: boolean;
  working_dir?: string;
  environment?: Record<string, string | null>;
  [key: string]: unknown;
}

/** `rate` in bytes per second. */
export interface ThrottleDevice {
  path: string;
  rate: number;
}

export interface BlkioConfig {
  weight?: number;
  weight_device?: { path: string; weight: number }[];
  device_read_bps?: ThrottleDevice[];
  device_read_iops?: { path: string; rate: number }[];
  device_write_bps?: ThrottleDevice[];
  device_write_iops?: { path: string; rate: number }[];
}

export interface WatchRule {
  path: string;
  action: 'sync' | 'rebuild' | 'restart' | 'sync+restart' | 'sync+exec';
  target?: string;
  ignore?: string[];
  include?: string[];
  initial_sync?: boolean;
  exec?: ServiceHook;
}

export interface Service {
  name: string;
  image?: string;
  build?: Build;
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment: Record<string, string | null>;
  env_file?: EnvFile[];
  /** Labels from `label_file` merged under the service's own. */
  labels?: Record<string, string>;
  label_file?: string[];
  annotations?: Record<string, string>;
  ports?: Port[];
  expose?: string[];
  volumes?: ServiceVolume[];
  volumes_from?: string[];
  tmpfs?: string[];
  depends_on?: Record<string, Dependency>;
  links?: string[];
  external_links?: string[];
  /** Absent only with `network_mode`; otherwise at least `default`. Values are null where nothing is set. */
  networks?: Record<string, ServiceNetwork | null>;
  network_mode?: string;
  ipc?: string;
  pid?: string;
  uts?: string;
  cgroup?: string;
  healthcheck?: Healthcheck;
  restart?: string;
  profiles?: string[];
  container_name?: string;
  hostname?: string;
  domainname?: string;
  user?: string;
  working_dir?: string;
  stop_signal?: string;
  /** Milliseconds. */
  stop_grace_period?: number;
  init?: boolean;
  privileged?: boolean;
  read_only?: boolean;
  tty?: boolean;
  stdin_open?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
  security_opt?: string[];
  sysctls?: Record<string, string>;
  ulimits?: Record<string, Ulimit>;
  extra_hosts?: Record<string, string[]>;
  dns?: string[];
  dns_search?: string[];
  dns_opt?: string[];
  mac_address?: string;
  /** Bytes, as are the memory fields below. */
  shm_size?: number;
  mem_limit?: number;
  mem_reservation?: number;
  memswap_limit?: number;
  mem_swappiness?: number;
  cpus?: number;
  cpu_shares?: number;
  cpu_quota?: number;
  cpu_period?: number;
  cpuset?: string;
  pids_limit?: number;
  oom_kill_disable?: boolean;
  oom_score_adj?: number;
  deploy?: Deploy;
  scale?: number;
  pull_policy?: string;
  platform?: string;
  secrets?: ServiceFileRef[];
  configs?: ServiceFileRef[];
  logging?: { driver?: string; options?: Record<string, string> };
  develop?: { watch?: WatchRule[]; [key: string]: unknown };
  devices?: Device[];
  blkio_config?: BlkioConfig;
  post_start?: ServiceHook[];
  pre_stop?: ServiceHook[];
  pre_start?: ServiceHook[];
  /** `x-*` keys of the service. */
  extensions?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Network {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  ipam?: {
    driver?: string;
    config?: {
      subnet?: string;
      ip_range?: string;
      gateway?: string;
      aux_addresses?: Record<string, string>;
    }[];
    options?: Record<string, string>;
  };
  external?: boolean;
  internal?: boolean;
  attachable?: boolean;
  enable_ipv4?: boolean;
  enable_ipv6?: boolean;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

export interface Volume {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

/** A secret or a config. `file` is absolute. */
export interface FileObject {
  name: string;
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

/** Something the planner accepted but the user should hear about (a deprecated form, an ignored part). */
export interface PlannerWarning {
  message: string;
  path?: string;
}
