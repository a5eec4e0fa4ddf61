/** Which hierarchy holds the controllers this layer reads: v1 also on hybrid hosts. */
export type CgroupVersion = 'v1' | 'v2';

/** The cgroup hierarchies of one host, as `detectCgroups` found them in the mount table. */
export interface CgroupHost {
  /** 'v1' for hybrid hosts (their controllers are v1), 'v2' for a unified hierarchy. */
  version: CgroupVersion;
  /** v1 controllers plus a cgroup2 mount that holds (next to) no controllers. */
  hybrid: boolean;
  /** Where the hierarchies are mounted: /sys/fs/cgroup, another directory in tests. */
  root: string;
  /**
   * v1: controller name → its mount directory (`cpu` and `cpuacct` both name
   * `/sys/fs/cgroup/cpu,cpuacct` where they are co-mounted). Named hierarchies appear
   * as `name=systemd`: runc joins them too, so clean-up must remove them. v2: {}.
   */
  controllers: Record<string, string>;
  /** The cgroup2 mount: `root` on a v2 host, /sys/fs/cgroup/unified on a hybrid one. */
  unified?: string;
}

/** One sample of a container's usage, in the units `docker stats` starts from. */
export interface CgroupStats {
  /**
   * `usage` leaves out inactive file cache, as docker stats does: the kernel reclaims
   * that first, so counting it makes every container that reads files look full.
   * `limit` is null where the group has none.
   */
  memory: { usage: number; limit: number | null; cache: number };
  /** Total CPU time of every process the group ever held, in nanoseconds. */
  cpu: { usageNanos: number };
  pids: { current: number; limit: number | null };
  /** Processes the OOM killer has killed in the group. */
  oomKills: number;
}
