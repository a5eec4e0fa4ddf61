import { InvalidError, UnsupportedError } from '../errors.js';
import type { GivenFile } from '../engine/containers/manager.js';
import type {
  ContainerSpec,
  Mount,
  NamespaceMode,
  NetworkMode,
  Resources,
} from '../engine/runtime/types.js';
import { serviceConfigHash } from '../planner/hash.js';
import type { Project, Service } from '../planner/model.js';
import { givenFiles } from './given-files.js';
import { mounts } from './mounts.js';

/** What a service's container needs from other containers that run already. */
export interface Peers {
  /** The init PID of a running container of this service (`network_mode: service:db`). */
  pidOf(service: string): number | undefined;
  /** …and of a container by name (`network_mode: container:name`). */
  pidOfContainer(name: string): number | undefined;
  /** The mounts of the service's first container, running or not (`volumes_from`). */
  mountsOf(service: string): Mount[] | undefined;
  /** …and of a container by name (`volumes_from: [container:name]`). */
  mountsOfContainer(name: string): Mount[] | undefined;
}

export interface TranslateInput {
  project: Project;
  service: Service;
  number: number;
  id: string;
  /** The image's config digest. */
  imageId: string;
  peers: Peers;
  /** The host's tini or catatonit, for `init: true`. */
  initPath?: () => string;
  /** The namespace made for the container on its stack networks, when it has them. */
  network?: NetworkMode;
  /** The directory of a named volume, created on first use (or an external one found). */
  volumeDir?: (
    name: string,
    options: { external: boolean; where: string; driverOpts?: Record<string, string> },
  ) => string;
  oneoff?: boolean;
  /** The image's `VOLUME` paths: each gets an anonymous volume unless a mount covers it. */
  imageVolumes?: string[];
}

export interface Translated {
  spec: ContainerSpec;
  configHash: string;
  /** Secrets and configs given by value (`environment`, `content`): the engine writes them. */
  files: GivenFile[];
  etc: {
    hosts: { ip: string; names: string[] }[];
    dns?: string[];
    dnsSearch?: string[];
    dnsOptions?: string[];
  };
}

/** Docker Compose's labels, so that tools reading them see the same stack. */
export const LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configHash: 'com.docker.compose.config-hash',
  image: 'com.docker.compose.image',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
} as const;

/** The name Docker Compose gives a service's container: `<project>-<service>-<n>`. */
export function containerName(project: Project, service: Service, number: number): string {
  return service.container_name ?? `${project.name}-${service.name}-${number}`;
}

/** A service, as the engine's description of one of its containers. */
export function translateService(input: TranslateInput): Translated {
  const { project, service, number, id } = input;
  const configHash = serviceConfigHash(service);
  const at = (key: string) => `services.${service.name}.${key}`;
  const spec: ContainerSpec = {
    id,
    name: containerName(project, service, number),
    project: project.name,
    image: input.imageId,
    entrypoint: service.entrypoint ?? null,
    command: service.command ?? null,
    env: definedValues(service.environment),
    user: service.user,
    groupAdd: service.group_add as string[] | undefined,
    workingDir: service.working_dir,
    hostname: service.hostname ?? (service.network_mode === 'host' ? undefined : id.slice(0, 12)),
    domainname: service.domainname,
    network: input.network ?? networkMode(service, input.peers, at('network_mode')),
    ipc: namespaceMode(service.ipc, input.peers, at('ipc')),
    pid: namespaceMode(service.pid, input.peers, at('pid')),
    capAdd: service.cap_add,
    capDrop: service.cap_drop,
    privileged: service.privileged,
    readOnly: service.read_only,
    mounts: mounts(input, at),
    shmSize: service.shm_size,
    sysctls: service.sysctls,
    ulimits: Object.entries(service.ulimits ?? {}).map(([name, limit]) => ({ name, ...limit })),
    noNewPrivileges: (service.security_opt ?? []).some((opt) =>
      /^no-new-privileges(:true|=true)?$/.test(opt),
    ),
    stopSignal: service.stop_signal,
    tty: service.tty,
    stdinOpen: service.stdin_open,
    init: service.init && input.initPath ? { path: input.initPath() } : undefined,
    resources: resources(service),
    labels: {
      ...service.labels,
      [LABELS.project]: project.name,
      [LABELS.service]: service.name,
      [LABELS.number]: String(number),
      [LABELS.oneoff]: input.oneoff ? 'True' : 'False',
      [LABELS.configHash]: configHash,
      [LABELS.workingDir]: project.workingDir,
      [LABELS.configFiles]: project.files.join(','),
      ...(service.image ? { [LABELS.image]: service.image } : {}),
    },
  };
  const given = givenFiles(project, service);
  spec.mounts.push(...given.mounts);
  const hosts = Object.entries(service.extra_hosts ?? {}).flatMap(([name, ips]) =>
    ips.map((ip) => ({ ip: ip === 'host-gateway' ? '127.0.0.1' : ip, names: [name] })),
  );
  return {
    spec,
    configHash,
    files: given.files,
    etc: {
      hosts,
      dns: service.dns,
      dnsSearch: service.dns_search,
      dnsOptions: service.dns_opt,
    },
  };
}

function definedValues(environment: Record<string, string | null>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(environment)) if (value !== null) out[key] = value;
  return out;
}

/**
 * Until stack networks exist (bridges, discovery), a service that names none runs in a
 * network namespace of its own with only loopback; `up` says so once per service.
 */
function networkMode(service: Service, peers: Peers, path: string): NetworkMode {
  const mode = service.network_mode;
  if (mode === undefined || mode === 'bridge' || mode === 'default') return { kind: 'none' };
  if (mode === 'host') return { kind: 'host' };
  if (mode === 'none') return { kind: 'none' };
  const pid = joinPid(mode, peers, path);
  return { kind: 'path', path: `/proc/${pid}/ns/net` };
}

function namespaceMode(mode: string | undefined, peers: Peers, path: string): NamespaceMode {
  if (mode === undefined || mode === 'private' || mode === 'shareable') return { kind: 'private' };
  if (mode === 'host') return { kind: 'host' };
  return { kind: 'container', pid: joinPid(mode, peers, path) };
}

function joinPid(mode: string, peers: Peers, path: string): number {
  const [kind, name] = splitOnce(mode, ':');
  if ((kind !== 'service' && kind !== 'container') || !name) {
    throw new UnsupportedError(`"${mode}" is not a mode tscompose knows`, {
      path,
      hint: 'use host, none, service:NAME or container:NAME',
    });
  }
  const pid = kind === 'service' ? peers.pidOf(name) : peers.pidOfContainer(name);
  if (pid === undefined) {
    throw new InvalidError(`${kind} ${name} is not running, so its namespace cannot be joined`, {
      path,
      hint: `start ${name} first (it is a dependency: tscompose up starts it before)`,
    });
  }
  return pid;
}

/** The short forms and `deploy.resources` forms of the same limits; the short form wins. */
function resources(service: Service): Resources {
  const limits = service.deploy?.resources?.limits ?? {};
  const reservations = service.deploy?.resources?.reservations ?? {};
  const quota =
    service.cpu_quota !== undefined
      ? service.cpu_quota / (service.cpu_period ?? 100_000)
      : undefined;
  return {
    memory: service.mem_limit ?? limits.memory,
    memoryReservation: service.mem_reservation ?? reservations.memory,
    memorySwap: service.memswap_limit,
    cpus: service.cpus ?? quota ?? limits.cpus,
    cpuShares: service.cpu_shares,
    cpusetCpus: service.cpuset,
    pids: service.pids_limit ?? limits.pids,
    oomScoreAdj: service.oom_score_adj,
  };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}
