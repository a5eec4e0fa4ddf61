import { PermissionError } from '../../errors.js';
import { checkOwned } from './paths.js';
import { cgroupPids } from './procs.js';
import { driverFor } from './select.js';
import type { CgroupHost } from './types.js';

/**
 * Sends `signal` to every process of the group and its descendants; returns how many
 * were signalled. SIGKILL goes through v2's cgroup.kill where the kernel has it. Else
 * the group is frozen while it is signalled, as `runc kill --all` does, so that a process
 * forking in a loop cannot add children between the listing and the signals; the signals
 * arrive on thaw.
 */
export function killCgroup(host: CgroupHost, cgroupPath: string, signal: NodeJS.Signals): number {
  checkOwned(cgroupPath);
  const driver = driverFor(host);
  const before = cgroupPids(host, cgroupPath);
  if (before.length === 0) return 0;
  if (signal === 'SIGKILL' && driver.killAll(cgroupPath)) return before.length;

  const frozen = driver.freeze(cgroupPath, true);
  try {
    return cgroupPids(host, cgroupPath).filter((pid) => signalPid(pid, signal)).length;
  } finally {
    if (frozen) driver.freeze(cgroupPath, false);
  }
}

/** False when the process has already gone. Never this process: the caller is not a container. */
function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  if (pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') {
      throw new PermissionError(`not allowed to send ${signal} to process ${pid}`, {
        hint: 'killing a container’s processes needs root',
        cause: err,
      });
    }
    throw err;
  }
}
