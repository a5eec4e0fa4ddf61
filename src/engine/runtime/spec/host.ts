import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ALL_CAPABILITIES } from './capabilities.js';
import type { OciDevice } from './oci.js';

/**
 * What the spec depends on outside the container's own settings and root file system.
 * Docker reads the same things from the host; here they are parameters with defaults, so
 * that tests state the host they mean.
 */
export interface HostFacts {
  /** A container on the host network gets the host's name unless it sets one, as with Docker. */
  hostname: string;
  /** A pure cgroup v2 hierarchy: Docker then gives each container its own cgroup namespace. */
  unifiedCgroup: boolean;
  /**
   * The capabilities this process holds and so can hand on: what `ALL` and privileged mean.
   * Docker reads its own the same way, so that a host (or an outer container) short of one
   * still runs privileged containers.
   */
  capabilities: readonly string[];
  /** The host's device nodes, for a privileged container; read only when one asks. */
  devices: () => OciDevice[];
}

export function hostFacts(overrides: Partial<HostFacts> = {}): HostFacts {
  return {
    hostname: overrides.hostname ?? os.hostname(),
    unifiedCgroup: overrides.unifiedCgroup ?? existsSync('/sys/fs/cgroup/cgroup.controllers'),
    capabilities: overrides.capabilities ?? ownCapabilities(),
    devices: overrides.devices ?? (() => hostDevices('/dev')),
  };
}

/** The effective set of this process (CapEff in /proc/self/status); every known one if unread. */
function ownCapabilities(): string[] {
  let mask: bigint;
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    mask = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? ''}`);
  } catch {
    return [...ALL_CAPABILITIES];
  }
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/**
 * Subdirectories of /dev that hold no device a container should get: they are mounts of
 * their own inside the container, or bookkeeping of other tools (the same list as
 * containerd's, which Docker uses for `privileged`).
 */
const SKIPPED_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/**
 * Every character and block device under `dir`, as a privileged Docker container gets them.
 * Symlinks are not followed; /dev/console is left to the runtime, which makes it from the
 * container's terminal.
 */
export function hostDevices(dir: string): OciDevice[] {
  const devices: OciDevice[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) devices.push(...hostDevices(full));
      continue;
    }
    if (entry.name === 'console') continue;
    const device = deviceAt(full);
    if (device) devices.push(device);
  }
  return devices;
}

function deviceAt(file: string): OciDevice | undefined {
  let stat;
  try {
    stat = lstatSync(file, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!stat.isCharacterDevice() && !stat.isBlockDevice()) return undefined;
  const rdev = stat.rdev;
  // glibc's gnu_dev_major/minor: 12 bits of major and 20 of minor, split across the word.
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return {
    type: stat.isCharacterDevice() ? 'c' : 'b',
    path: file,
    major: Number(major),
    minor: Number(minor),
    fileMode: Number(stat.mode & 0o777n),
    uid: Number(stat.uid),
    gid: Number(stat.gid),
  };
}
