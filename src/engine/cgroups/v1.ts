import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CgroupDriver } from './driver.js';
import { readCgroupFile, readKeyed, readLimit, readNumber } from './files.js';
import { groupDir } from './paths.js';
import type { CgroupHost, CgroupStats } from './types.js';
import { pollSync } from './wait.js';

/** runc joins all of these; each lists the same processes, any one of them will do. */
const PROC_CONTROLLERS = ['pids', 'memory', 'freezer'];
/** The controllers a sample reads: the group is gone when it is in none of them. */
const STAT_CONTROLLERS = ['memory', 'cpuacct', 'pids'];
/** A freezer that stays FREEZING this long has a task stuck in the kernel; signal anyway. */
const FREEZE_TIMEOUT_MS = 500;

/** cgroup v1: one hierarchy per controller (or per co-mounted set), each with its own files. */
export function v1Driver(host: CgroupHost): CgroupDriver {
  const dirIn = (controller: string, cgroupPath: string): string | undefined => {
    const mount = host.controllers[controller];
    return mount === undefined ? undefined : groupDir(mount, cgroupPath);
  };
  const dirsOf = (controllers: readonly string[], cgroupPath: string): string[] => [
    ...new Set(controllers.flatMap((c) => dirIn(c, cgroupPath) ?? [])),
  ];

  return {
    // On a hybrid host runc makes the group in the controller-less v2 tree as well.
    dirs: (cgroupPath) => [
      ...dirsOf(Object.keys(host.controllers).sort(), cgroupPath),
      ...(host.hybrid && host.unified ? [groupDir(host.unified, cgroupPath)] : []),
    ],
    procDirs: (cgroupPath) => dirsOf(PROC_CONTROLLERS, cgroupPath),
    exists: (cgroupPath) => dirsOf(STAT_CONTROLLERS, cgroupPath).some((dir) => existsSync(dir)),
    readStats: (cgroupPath) =>
      readV1Stats({
        memory: dirIn('memory', cgroupPath),
        cpuacct: dirIn('cpuacct', cgroupPath),
        pids: dirIn('pids', cgroupPath),
      }),
    freeze: (cgroupPath, frozen) => {
      const dir = dirIn('freezer', cgroupPath);
      if (dir === undefined || !existsSync(dir)) return false;
      const state = frozen ? 'FROZEN' : 'THAWED';
      writeFileSync(path.join(dir, 'freezer.state'), state);
      // Writing FROZEN returns while tasks may still be FREEZING; thawing is immediate.
      if (frozen) pollSync(() => readState(dir) === state, FREEZE_TIMEOUT_MS);
      return true;
    },
    // v1 has no cgroup.kill: the caller signals each process, under the freezer.
    killAll: () => false,
  };
}

interface V1Dirs {
  memory: string | undefined;
  cpuacct: string | undefined;
  pids: string | undefined;
}

function readV1Stats(dirs: V1Dirs): CgroupStats {
  const file = (dir: string | undefined, name: string) =>
    dir === undefined ? undefined : path.join(dir, name);

  const usage = readNumber(file(dirs.memory, 'memory.usage_in_bytes')) ?? 0;
  const stat = readKeyed(file(dirs.memory, 'memory.stat'));
  // The total_ keys count the group's descendants too; a root group has only the plain ones.
  const inactive = stat.get('total_inactive_file') ?? stat.get('inactive_file') ?? 0;
  const cache = stat.get('total_cache') ?? stat.get('cache') ?? 0;
  const limit = readLimit(file(dirs.memory, 'memory.limit_in_bytes')) ?? null;
  // oom_kill is in memory.oom_control from Linux 4.13; older kernels do not count kills.
  const oomKills = readKeyed(file(dirs.memory, 'memory.oom_control')).get('oom_kill') ?? 0;

  return {
    memory: { usage: inactive < usage ? usage - inactive : usage, limit, cache },
    cpu: { usageNanos: readNumber(file(dirs.cpuacct, 'cpuacct.usage')) ?? 0 },
    pids: {
      current: readNumber(file(dirs.pids, 'pids.current')) ?? 0,
      limit: readLimit(file(dirs.pids, 'pids.max')) ?? null,
    },
    oomKills,
  };
}

function readState(dir: string): string | undefined {
  return readCgroupFile(path.join(dir, 'freezer.state'))?.trim();
}
