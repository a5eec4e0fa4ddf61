import type { CgroupStats } from './types.js';

/**
 * What differs between cgroup v1 and v2, behind one shape: the callers (stats, kill,
 * removal) are written once against it. Each method takes a cgroup path as runc's
 * `cgroupsPath` names it, `/tscompose/<project>/<container>`.
 */
export interface CgroupDriver {
  /** The group's directory in every hierarchy it can live in, without duplicates. */
  dirs(cgroupPath: string): string[];
  /** The directories whose `cgroup.procs` (and their descendants') list its processes. */
  procDirs(cgroupPath: string): string[];
  /** Whether the group exists in a hierarchy that stats are read from. */
  exists(cgroupPath: string): boolean;
  /** Reads one sample; the caller has checked nothing, so missing files mean zero. */
  readStats(cgroupPath: string): CgroupStats;
  /** Freezes (or thaws) the group; false where the host has no freezer for it. */
  freeze(cgroupPath: string, frozen: boolean): boolean;
  /** Kills every process of the subtree in one write, where the kernel offers that. */
  killAll(cgroupPath: string): boolean;
}
