import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CgroupDriver } from './driver.js';
import { readKeyed, readLimit, readNumber } from './files.js';
import { groupDir } from './paths.js';
import type { CgroupHost, CgroupStats } from './types.js';
import { pollSync } from './wait.js';

/** A group that is not frozen this long has a task stuck in the kernel; signal anyway. */
const FREEZE_TIMEOUT_MS = 500;

/** cgroup v2: one tree, every controller's files in the group's one directory. */
export function v2Driver(host: CgroupHost): CgroupDriver {
  const dirOf = (cgroupPath: string) => groupDir(host.root, cgroupPath);

  return {
    dirs: (cgroupPath) => [dirOf(cgroupPath)],
    procDirs: (cgroupPath) => [dirOf(cgroupPath)],
    exists: (cgroupPath) => existsSync(dirOf(cgroupPath)),
    readStats: (cgroupPath) => readV2Stats(dirOf(cgroupPath)),
    freeze: (cgroupPath, frozen) => {
      // cgroup.freeze is there from Linux 5.2, in every group but the root.
      const file = path.join(dirOf(cgroupPath), 'cgroup.freeze');
      if (!existsSync(file)) return false;
      writeFileSync(file, frozen ? '1' : '0');
      const events = path.join(dirOf(cgroupPath), 'cgroup.events');
      if (frozen) pollSync(() => readKeyed(events).get('frozen') === 1, FREEZE_TIMEOUT_MS);
      return true;
    },
    killAll: (cgroupPath) => {
      // cgroup.kill (Linux 5.14) SIGKILLs the whole subtree at once, forks included.
      const file = path.join(dirOf(cgroupPath), 'cgroup.kill');
      if (!existsSync(file)) return false;
      writeFileSync(file, '1');
      return true;
    },
  };
}

function readV2Stats(dir: string): CgroupStats {
  const file = (name: string) => path.join(dir, name);

  // A controller not enabled in the parent's cgroup.subtree_control has no files here.
  const usage = readNumber(file('memory.current')) ?? 0;
  const stat = readKeyed(file('memory.stat'));
  const inactive = stat.get('inactive_file') ?? 0;
  const limit = readLimit(file('memory.max')) ?? null;
  // cpu.stat is always there: usage_usec is kept without the cpu controller.
  const usageUsec = readKeyed(file('cpu.stat')).get('usage_usec') ?? 0;

  return {
    memory: {
      usage: inactive < usage ? usage - inactive : usage,
      limit,
      cache: stat.get('file') ?? 0,
    },
    cpu: { usageNanos: usageUsec * 1000 },
    pids: {
      current: readNumber(file('pids.current')) ?? 0,
      limit: readLimit(file('pids.max')) ?? null,
    },
    oomKills: readKeyed(file('memory.events')).get('oom_kill') ?? 0,
  };
}
