import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UnsupportedError } from '../../errors.js';
import type { CgroupHost } from './types.js';

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * The v1 controllers the kernel can mount. Anything else in a v1 mount's super options is
 * a flag (`rw`, `xattr`, `noprefix`, `release_agent=…`), except the `name=` of a named
 * hierarchy such as systemd's.
 */
const V1_CONTROLLERS = new Set([
  'blkio',
  'cpu',
  'cpuacct',
  'cpuset',
  'debug',
  'devices',
  'freezer',
  'hugetlb',
  'memory',
  'misc',
  'net_cls',
  'net_prio',
  'perf_event',
  'pids',
  'rdma',
]);

interface CgroupMount {
  type: 'cgroup' | 'cgroup2';
  mountPoint: string;
  options: string[];
}

/**
 * Finds the host's cgroup hierarchies in the mount table. Mounts outside `root` (a
 * container's bind of a hierarchy, say) are used only where `root` has none, so that
 * the directories are the ones runc resolves `cgroupsPath` against.
 */
export function detectCgroups(options: { root?: string; mountinfo?: string } = {}): CgroupHost {
  const root = path.resolve(options.root ?? DEFAULT_CGROUP_ROOT);
  const text = options.mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8');
  const mounts = parseCgroupMounts(text).sort(
    (a, b) => Number(isUnder(b.mountPoint, root)) - Number(isUnder(a.mountPoint, root)),
  );

  const controllers: Record<string, string> = {};
  for (const mount of mounts.filter((m) => m.type === 'cgroup')) {
    for (const option of mount.options) {
      const known = V1_CONTROLLERS.has(option) || option.startsWith('name=');
      if (known && controllers[option] === undefined) controllers[option] = mount.mountPoint;
    }
  }
  const unified = mounts.find((m) => m.type === 'cgroup2')?.mountPoint;
  const hasV1 = Object.keys(controllers).some((name) => !name.startsWith('name='));

  if (hasV1) return { version: 'v1', hybrid: unified !== undefined, root, controllers, unified };
  if (unified !== undefined)
    return { version: 'v2', hybrid: false, root: unified, controllers: {}, unified };
  throw new UnsupportedError('no cgroup hierarchy is mounted on this host', {
    hint: `mount cgroup2 on ${root} (mount -t cgroup2 none ${root}), or the v1 controllers under it`,
  });
}

/** The cgroup mounts of a /proc/<pid>/mountinfo text. */
function parseCgroupMounts(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    // id parent dev root mount-point options [optional fields…] - type source super-options
    const fields = line.trim().split(' ');
    const dash = fields.indexOf('-', 6);
    const type = fields[dash + 1];
    if (dash < 0 || (type !== 'cgroup' && type !== 'cgroup2')) continue;
    const mountPoint = unescapeMountPath(fields[4] ?? '');
    mounts.push({ type, mountPoint, options: (fields[dash + 3] ?? '').split(',') });
  }
  return mounts;
}

function isUnder(dir: string, root: string): boolean {
  const relative = path.relative(root, dir);
  return !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}
