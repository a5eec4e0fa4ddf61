import path from 'node:path';
import { InvalidError } from '../../../errors.js';
import type { ContainerSpec, Mount } from '../types.js';
import { INIT_PATH } from './command.js';
import type { OciMount } from './oci.js';

/** /dev/shm's size when the service sets none: Docker's 64 MiB. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** The file systems every container gets, in Docker's order (moby oci/defaults.go). */
function defaultMounts(shmSize: number): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/sys',
      type: 'sysfs',
      source: 'sysfs',
      options: ['nosuid', 'noexec', 'nodev', 'ro'],
    },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['ro', 'nosuid', 'noexec', 'nodev'],
    },
    {
      destination: '/dev/mqueue',
      type: 'mqueue',
      source: 'mqueue',
      options: ['nosuid', 'noexec', 'nodev'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`],
    },
  ];
}

/** Mounts Docker leaves writable on a read-only root: the kernel's and /dev's own. */
const WRITABLE_ON_READ_ONLY_ROOT = new Set([
  '/proc',
  '/dev/pts',
  '/dev/shm',
  '/dev/mqueue',
  '/dev',
]);

export interface MountPlan {
  mounts: OciMount[];
  /** Set when a bind mount propagates: the root must then propagate too. */
  rootfsPropagation?: 'shared' | 'rslave';
}

/**
 * The container's mounts as Docker lays them out: its defaults (less those the service
 * mounts over, and everything under /dev when the service mounts /dev itself), the init,
 * then the service's own mounts, the /etc files and a shared /dev/shm, shallowest first.
 */
export function containerMounts(spec: ContainerSpec, withInit: boolean): MountPlan {
  const shmSize = checkShmSize(spec.shmSize);
  const readOnly = spec.readOnly === true;
  const user = userMounts(spec);
  const taken = new Set(user.map((mount) => mount.destination));

  const defaults = defaultMounts(shmSize);
  if (withInit && spec.init) defaults.push(initMount(spec.init.path));
  const kept = defaults.filter(
    (mount) =>
      !taken.has(mount.destination) &&
      !(taken.has('/dev') && mount.destination.startsWith('/dev/')),
  );
  if (readOnly) {
    for (const mount of kept) {
      if (!WRITABLE_ON_READ_ONLY_ROOT.has(mount.destination)) addOption(mount, 'ro');
    }
  }
  if (spec.privileged) {
    for (const mount of kept) {
      if (mount.destination === '/sys' || mount.type === 'cgroup') removeOption(mount, 'ro');
    }
  }
  return {
    mounts: [...kept, ...user.map((mount) => mount.oci)],
    rootfsPropagation: rootPropagation(spec.mounts),
  };
}

interface UserMount {
  destination: string;
  oci: OciMount;
}

function userMounts(spec: ContainerSpec): UserMount[] {
  const mounts: UserMount[] = [];
  const seen = new Set<string>();
  const add = (destination: string, oci: OciMount) => {
    if (seen.has(destination)) {
      throw new InvalidError(`two mounts on ${destination}`, {
        hint: 'a path in the container can be the target of one mount only',
      });
    }
    seen.add(destination);
    mounts.push({ destination, oci: { ...oci, destination } });
  };

  for (const mount of spec.mounts) add(cleanTarget(mount.target), serviceMount(mount));
  const files = spec.etcFiles ?? {};
  const etc: [string, string | undefined][] = [
    ['/etc/resolv.conf', files.resolvConf],
    ['/etc/hostname', files.hostname],
    ['/etc/hosts', files.hosts],
  ];
  for (const [target, source] of etc) {
    // The service's own mount of the file wins, as with Docker.
    if (source === undefined || seen.has(target)) continue;
    add(target, bind(source, target, spec.readOnly === true, 'rprivate'));
  }
  // Missing: with `ipc: service:x` Docker also binds x's /dev/shm, kept in a host directory.
  // Here each container's /dev/shm lives in its own mount namespace, which a bind mount
  // cannot reach, so a joined IPC namespace shares System V IPC but not POSIX shm files.
  if (spec.ipc.kind === 'host' && !seen.has('/dev/shm')) {
    add('/dev/shm', bind('/dev/shm', '/dev/shm', false, 'rprivate'));
  }
  // Shallowest first, so that a mount inside another lands on top of it; stable otherwise.
  return mounts
    .map((mount, index) => ({ mount, index, depth: mount.destination.split('/').length }))
    .sort((a, b) => a.depth - b.depth || a.index - b.index)
    .map(({ mount }) => mount);
}

function serviceMount(mount: Mount): OciMount {
  if (mount.kind === 'bind') {
    return bind(
      mount.source,
      mount.target,
      mount.readOnly === true,
      mount.propagation ?? 'rprivate',
    );
  }
  const options = ['noexec', 'nosuid', 'nodev', 'rprivate'];
  if (mount.readOnly) options.push('ro');
  if (mount.mode !== undefined) options.push(`mode=${mount.mode.toString(8)}`);
  if (mount.size !== undefined) options.push(`size=${tmpfsSize(mount.size, mount.target)}`);
  return { destination: mount.target, type: 'tmpfs', source: 'tmpfs', options };
}

function bind(source: string, target: string, readOnly: boolean, propagation: string): OciMount {
  if (!path.isAbsolute(source)) {
    throw new InvalidError(`the source of the bind mount on ${target} is not absolute: ${source}`, {
      hint: 'bind mount sources are host paths, resolved before the engine is called',
    });
  }
  const options = readOnly ? ['rbind', 'ro', propagation] : ['rbind', propagation];
  return { destination: target, type: 'bind', source, options };
}

function initMount(source: string): OciMount {
  if (!path.isAbsolute(source)) {
    throw new InvalidError(`the init binary's path is not absolute: ${source}`, {
      hint: 'give the host path of tini or catatonit',
    });
  }
  return { destination: INIT_PATH, type: 'bind', source, options: ['bind', 'ro'] };
}

/** A tmpfs size as Docker writes it: in g, m or k when it divides evenly, else bytes. */
function tmpfsSize(bytes: number, target: string): string {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new InvalidError(`invalid size ${bytes} for the tmpfs on ${target}`, {
      hint: 'a tmpfs size is a whole number of bytes above 0',
    });
  }
  for (const [suffix, unit] of [
    ['g', 2 ** 30],
    ['m', 2 ** 20],
    ['k', 2 ** 10],
  ] as const) {
    if (bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}

function cleanTarget(target: string): string {
  if (!target.startsWith('/')) {
    throw new InvalidError(`mount target ${target} is not an absolute path`, {
      hint: 'a mount target is a path in the container, starting with /',
    });
  }
  const clean = path.posix.normalize(target).replace(/\/+$/, '');
  if (clean === '') {
    throw new InvalidError('a mount cannot target /', {
      hint: 'mount into a directory of the container instead',
    });
  }
  return clean;
}

function checkShmSize(size: number | undefined): number {
  if (size === undefined) return DEFAULT_SHM_SIZE;
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new InvalidError(`invalid shm_size ${size}`, {
      hint: 'shm_size is a whole number of bytes above 0, such as 64m',
    });
  }
  return size;
}

/** Docker's rule: a shared bind needs a shared root; a slave one at least an rslave root. */
function rootPropagation(mounts: readonly Mount[]): MountPlan['rootfsPropagation'] {
  const modes = mounts.flatMap((mount) =>
    mount.kind === 'bind' && mount.propagation ? [mount.propagation] : [],
  );
  if (modes.some((mode) => mode === 'shared' || mode === 'rshared')) return 'shared';
  if (modes.some((mode) => mode === 'slave' || mode === 'rslave')) return 'rslave';
  return undefined;
}

function addOption(mount: OciMount, option: string): void {
  if (!mount.options?.includes(option)) mount.options = [...(mount.options ?? []), option];
}

function removeOption(mount: OciMount, option: string): void {
  mount.options = (mount.options ?? []).filter((existing) => existing !== option);
}
