/**
 * The engine's cgroup layer. runc creates each container's group itself from
 * `linux.cgroupsPath` (cgroupfs driver); this layer chooses that path, reads stats from
 * the group's files, finds and kills its processes, and removes empty groups on clean-up.
 * v1 (also hybrid hosts) and v2 sit side by side in v1.ts and v2.ts, same shape.
 */
export type { CgroupHost, CgroupStats, CgroupVersion } from './types.js';
export { DEFAULT_CGROUP_ROOT, detectCgroups } from './detect.js';
export { CGROUP_PARENT, containerCgroupPath, projectCgroupPath } from './paths.js';
export { cgroupExists, readStats } from './stats.js';
export { cgroupPids } from './procs.js';
export { killCgroup } from './kill.js';
export { removeCgroup } from './remove.js';
export { cpuPercent } from './cpu.js';
