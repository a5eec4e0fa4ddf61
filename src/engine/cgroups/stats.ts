import { NotFoundError } from '../../errors.js';
import { driverFor } from './select.js';
import type { CgroupHost, CgroupStats } from './types.js';

/**
 * One sample of the group's usage, read from its cgroup files. Throws NotFoundError when
 * the group is gone, also when it went away while its files were being read: a sample of
 * half zeros would look like a real one.
 */
export function readStats(host: CgroupHost, cgroupPath: string): CgroupStats {
  const driver = driverFor(host);
  const stats = driver.readStats(cgroupPath);
  if (!driver.exists(cgroupPath)) {
    throw new NotFoundError(`the cgroup ${cgroupPath} does not exist`, {
      hint: 'the container has stopped and its group was removed, or it never started',
    });
  }
  return stats;
}

/** Whether the group exists in any hierarchy stats are read from. */
export function cgroupExists(host: CgroupHost, cgroupPath: string): boolean {
  return driverFor(host).exists(cgroupPath);
}
