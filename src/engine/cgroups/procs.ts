import { readdirSync } from 'node:fs';
import path from 'node:path';
import { readPids } from './files.js';
import { driverFor } from './select.js';
import type { CgroupHost } from './types.js';

/**
 * Every process in the group and its descendant groups, sorted. Read from `cgroup.procs`
 * (processes), never `tasks` (threads). A group that is gone has none.
 */
export function cgroupPids(host: CgroupHost, cgroupPath: string): number[] {
  const pids = new Set<number>();
  for (const dir of driverFor(host).procDirs(cgroupPath)) collect(dir, pids);
  return [...pids].sort((a, b) => a - b);
}

function collect(dir: string, pids: Set<number>): void {
  for (const pid of readPids(path.join(dir, 'cgroup.procs'))) pids.add(pid);
  for (const child of childGroups(dir)) collect(child, pids);
}

/** The child groups of `dir`: in a cgroup file system, every subdirectory is one. */
export function childGroups(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => path.join(dir, entry.name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
