import { rmdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ConflictError, PermissionError, RuntimeError } from '../../errors.js';
import { readPids } from './files.js';
import { checkOwned } from './paths.js';
import { childGroups } from './procs.js';
import { driverFor } from './select.js';
import type { CgroupHost } from './types.js';

/** Long enough for killed processes to exit and be reaped by their parent (conmon). */
const DEFAULT_TIMEOUT_MS = 2000;
/** The kernel sends no event when a v1 group empties, so removal retries at this pace. */
const RETRY_MS = 10;

/**
 * Removes the group and every group below it, deepest first, in every hierarchy. A group
 * still holding processes is retried until `timeoutMs` (they may be exiting), then
 * refused. Missing groups are fine: clean-up runs after crashes, and twice.
 */
export async function removeCgroup(
  host: CgroupHost,
  cgroupPath: string,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  checkOwned(cgroupPath);
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  for (const dir of driverFor(host).dirs(cgroupPath)) await removeTree(dir, deadline);
}

async function removeTree(dir: string, deadline: number): Promise<void> {
  for (;;) {
    // Listed again on each try: a process may still be creating child groups.
    for (const child of childGroups(dir)) await removeTree(child, deadline);
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() >= deadline) throw removalError(dir, err);
    }
    await delay(RETRY_MS);
  }
}

function removalError(dir: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EBUSY') {
    const pids = readPids(path.join(dir, 'cgroup.procs'));
    const which = pids.length > 0 ? `processes ${pids.join(', ')}` : 'processes';
    return new ConflictError(`cannot remove the cgroup ${dir}: it still has ${which}`, {
      hint: 'stop or kill the container first (killCgroup), then remove its group',
      cause: err,
    });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new PermissionError(`not allowed to remove the cgroup ${dir}`, {
      hint: 'removing cgroups needs root',
      cause: err,
    });
  }
  return new RuntimeError(`cannot remove the cgroup ${dir}: ${(err as Error).message}`, {
    cause: err,
  });
}
