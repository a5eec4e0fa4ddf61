import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { InvalidError, NotFoundError, UnsupportedError } from '../errors.js';
import type {
  ContainerSpec,
  Mount,
  NamespaceMode,
  NetworkMode,
  Resources,
} from '../engine/runtime/types.js';
import type { GivenFile } from '../engine/containers/manager.js';
import type { FileObject, Project, Service, ServiceFileRef } from '../planner/model.js';
import { serviceConfigHash } from '../planner/hash.js';
import { parseByteSizeText } from '../planner/normalize/units.js';
import { checkDriverOptions } from '../engine/volumes/backing.js';

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

function mounts(input: TranslateInput, at: (key: string) => string): Mount[] {
  const { service, project } = input;
  const out: Mount[] = [];
  (service.volumes ?? []).forEach((volume, i) => {
    const where = `${at('volumes')}[${i}]`;
    if (volume.type === 'bind') {
      out.push({
        kind: 'bind',
        source: volume.source!,
        target: volume.target,
        readOnly: volume.read_only,
        propagation: volume.bind?.propagation as 'rprivate' | undefined,
      });
    } else if (volume.type === 'tmpfs') {
      out.push({
        kind: 'tmpfs',
        target: volume.target,
        size: volume.tmpfs?.size,
        mode: volume.tmpfs?.mode,
      });
    } else if (volume.type === 'volume' && input.volumeDir) {
      const declared = volume.source ? project.volumes[volume.source] : undefined;
      const driverOpts = declared?.external ? undefined : declared?.driver_opts;
      if (driverOpts) checkLocalDriver(driverOpts, `volumes.${volume.source}`);
      // An anonymous volume keeps one name per service and path, so a recreated
      // container gets its data back, as Docker Compose hands it over.
      const name = declared?.name ?? anonymousVolume(project.name, service.name, volume.target);
      const external = Boolean(declared?.external);
      const source = input.volumeDir(name, { external, where, driverOpts });
      out.push({
        kind: 'bind',
        source,
        target: volume.target,
        readOnly: volume.read_only,
        volume: { name, noCopy: volume.volume?.nocopy },
      });
    } else {
      throw new UnsupportedError(`volumes of type "${volume.type}" do not run yet`, {
        path: where,
        hint: 'use a bind mount, a named volume or tmpfs',
      });
    }
  });
  for (const entry of service.tmpfs ?? []) {
    const [target, options] = splitOnce(entry, ':');
    const size = (options ?? '').split(',').find((o) => o.startsWith('size='));
    out.push({ kind: 'tmpfs', target: target!, size: sizeOption(size, at('tmpfs')) });
  }
  const own = new Set(out.map((mount) => mount.target));
  const shared = sharedMounts(input, at).filter((mount) => !own.has(mount.target));
  const covered = new Set([...own, ...shared.map((mount) => mount.target)]);
  return [...out, ...shared, ...imageVolumeMounts(input, covered)];
}

/**
 * An anonymous volume for each `VOLUME` of the image that no mount of the service covers,
 * as Docker makes them, named as the service's own anonymous volumes are: a recreated
 * container gets the same data back, as Docker Compose hands it over.
 */
function imageVolumeMounts(input: TranslateInput, covered: Set<string>): Mount[] {
  const { project, service } = input;
  if (!input.volumeDir) return [];
  return (input.imageVolumes ?? [])
    .map((target) => normalizeTarget(target))
    .filter((target) => !covered.has(target))
    .map((target) => {
      const name = anonymousVolume(project.name, service.name, target);
      const where = `the image's VOLUME ${target}`;
      const source = input.volumeDir!(name, { external: false, where });
      return { kind: 'bind', source, target, volume: { name } } satisfies Mount;
    });
}

/** `/data/` and `/data` are one path, as Docker reads a VOLUME. */
function normalizeTarget(target: string): string {
  return target.length > 1 ? target.replace(/\/+$/, '') : target;
}

/**
 * `volumes_from`: the volumes and bind mounts of another container, at the same paths, as
 * Docker shares them: read-only where the source has them so, unless `:ro` or `:rw` says.
 * A tmpfs is the source's own memory and is not shared; the service's own mounts win on
 * the same path. The data is there already, so nothing is copied up from this image.
 */
function sharedMounts(input: TranslateInput, at: (key: string) => string): Mount[] {
  const out = new Map<string, Mount>();
  (input.service.volumes_from ?? []).forEach((entry, i) => {
    const where = `${at('volumes_from')}[${i}]`;
    const parts = entry.split(':');
    const byContainer = parts[0] === 'container';
    const name = byContainer ? parts[1] : parts[0];
    const mode = byContainer ? parts[2] : parts[1];
    if (!name || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
      throw new InvalidError(`"${entry}" is not a volumes_from entry`, {
        path: where,
        hint: 'write SERVICE, SERVICE:ro, container:NAME or container:NAME:rw',
      });
    }
    const mounts = byContainer ? input.peers.mountsOfContainer(name) : input.peers.mountsOf(name);
    if (mounts === undefined) {
      throw new NotFoundError(
        `${byContainer ? 'container' : 'service'} ${name} has no container to share volumes from`,
        {
          path: where,
          hint: byContainer
            ? `create the container ${name} first`
            : `${name} is a dependency: tscompose up creates it first`,
        },
      );
    }
    for (const mount of mounts) {
      if (mount.kind !== 'bind') continue;
      const readOnly = mode === undefined ? mount.readOnly : mode === 'ro';
      const shared: Mount = { ...mount, readOnly };
      if (mount.volume) shared.volume = { name: mount.volume.name, noCopy: true };
      out.set(mount.target, shared);
    }
  });
  return [...out.values()];
}

/**
 * `secrets` and `configs`, as Docker Compose gives them outside Swarm: one from a `file` is
 * that file bound read-only (a secret at /run/secrets/NAME, a config at /NAME, unless
 * `target` says); one from `environment` or `content` is a file written for the container,
 * with `uid`, `gid` and `mode` (0444 by default).
 */
function givenFiles(project: Project, service: Service): { mounts: Mount[]; files: GivenFile[] } {
  const mounts: Mount[] = [];
  const files: GivenFile[] = [];
  const kinds = [
    { key: 'secrets', refs: service.secrets, defined: project.secrets, dir: '/run/secrets' },
    { key: 'configs', refs: service.configs, defined: project.configs, dir: '' },
  ] as const;
  for (const { key, refs, defined, dir } of kinds) {
    (refs ?? []).forEach((ref, i) => {
      const where = `services.${service.name}.${key}[${i}]`;
      const object = defined[ref.source];
      if (!object) {
        throw new NotFoundError(`${key.slice(0, -1)} "${ref.source}" is not defined`, {
          path: where,
          hint: `define it under the top-level ${key} key`,
        });
      }
      const name = ref.target ?? ref.source;
      const target = name.startsWith('/') ? name : `${dir}/${name}`;
      const content = contentOf(project, object, `${key}.${ref.source}`);
      if (content === undefined) {
        mounts.push({ kind: 'bind', source: object.file!, target, readOnly: true });
      } else {
        files.push({ target, content, ...ownership(ref, where) });
      }
    });
  }
  return { mounts, files };
}

/** What a secret or config holds when given by value; undefined for a `file`. */
function contentOf(project: Project, object: FileObject, where: string): string | undefined {
  if (object.external) {
    throw new UnsupportedError(
      `${where} is external: such secrets and configs live in Docker Swarm`,
      {
        path: `${where}.external`,
        hint: 'give it a file, environment or content instead',
      },
    );
  }
  if (object.file !== undefined) {
    if (!existsSync(object.file)) {
      throw new NotFoundError(`the file ${object.file} of ${where} does not exist`, {
        path: `${where}.file`,
        hint: 'create it, or point file at one that exists',
      });
    }
    return undefined;
  }
  if (object.environment !== undefined) {
    const value = project.environment[object.environment];
    if (value === undefined) {
      throw new InvalidError(`the variable ${object.environment} of ${where} is not set`, {
        path: `${where}.environment`,
        hint: `set it in the shell or in .env: ${object.environment}=…`,
      });
    }
    return value;
  }
  if (object.content !== undefined) return object.content;
  throw new InvalidError(`${where} says neither file, environment nor content`, {
    path: where,
    hint: 'give it one of file, environment or content',
  });
}

function ownership(ref: ServiceFileRef, where: string): Omit<GivenFile, 'target' | 'content'> {
  const id = (value: string | undefined, key: string) => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) {
      throw new InvalidError(`${key} "${value}" is not a number`, {
        path: `${where}.${key}`,
        hint: `write the numeric ${key}, e.g. ${key}: "1000"`,
      });
    }
    return Number(value);
  };
  return { uid: id(ref.uid, 'uid'), gid: id(ref.gid, 'gid'), mode: ref.mode };
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

/**
 * The `driver_opts` of a local volume that tscompose mounts, checked before anything is
 * made: `type: tmpfs` (a size in tmpfs's own units), or `o: bind` of an existing `device`
 * directory. Others (nfs, a block device…) are refused by name. The engine mounts them on
 * the volume's directory while containers use it, as Docker's local driver does.
 */
export function checkLocalDriver(opts: Record<string, string>, where: string): void {
  checkDriverOptions(opts, where);
  const options = (opts.o ?? '').split(',').map((o) => o.trim());
  if (opts.type === 'tmpfs') {
    const size = options.find((o) => o.startsWith('size='));
    if (size && !/^size=\d+[kmgKMG%]?$/.test(size)) {
      throw new InvalidError(`"${size}" is not a tmpfs size`, {
        path: `${where}.driver_opts.o`,
        hint: 'write it as tmpfs does: size=100m (k, m, g or %)',
      });
    }
    return;
  }
  if (options.includes('bind') || options.includes('rbind')) {
    const device = opts.device;
    if (!device || !device.startsWith('/')) {
      throw new InvalidError('a bind volume needs the absolute path of its directory as device', {
        path: `${where}.driver_opts.device`,
        hint: 'device: /srv/data, with o: bind and type: none',
      });
    }
    if (!existsSync(device)) {
      throw new NotFoundError(`the directory ${device} of the bind volume does not exist`, {
        path: `${where}.driver_opts.device`,
        hint: `create it first: mkdir -p ${device}`,
      });
    }
    return;
  }
  throw new UnsupportedError(`local volumes of type "${opts.type ?? '?'}" are not supported`, {
    path: `${where}.driver_opts`,
    hint: 'tscompose mounts type: tmpfs and o: bind volumes of the local driver',
  });
}

/** `<project>_<service>_<hash of the path>`: stable across recreates of the service. */
export function anonymousVolume(project: string, service: string, target: string): string {
  const hash = createHash('sha256').update(target).digest('hex').slice(0, 12);
  return `${project}_${service}_anon_${hash}`;
}

/** `size=64k` as bytes, in Compose's units; undefined without one. */
function sizeOption(option: string | undefined, where: string): number | undefined {
  if (option === undefined) return undefined;
  const text = option.slice('size='.length);
  const bytes = parseByteSizeText(text);
  if (bytes === undefined) {
    throw new InvalidError(`"${text}" is not a size`, {
      path: where,
      hint: 'write it as size=100m',
    });
  }
  return bytes;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}
