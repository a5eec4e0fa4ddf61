/**
 * What the engine needs to know to run one container. It knows nothing of compose files:
 * `src/stack` translates a service into this. Sizes are bytes, durations milliseconds.
 */

/** How a container shares a namespace: its own, the host's, or another container's. */
export type NamespaceMode =
  | { kind: 'private' }
  | { kind: 'host' }
  /** Join the namespace of a running container's init process (`ipc: service:db`). */
  | { kind: 'container'; pid: number };

/** The network namespace: the host's, a loopback-only one, or one made beforehand. */
export type NetworkMode =
  | { kind: 'host' }
  | { kind: 'none' }
  /** A named namespace (`ip netns add`) handed to the runtime by path. */
  | { kind: 'path'; path: string };

export interface BindMount {
  kind: 'bind';
  source: string;
  target: string;
  readOnly?: boolean;
  /** rprivate by default, as Docker. */
  propagation?: 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';
  /**
   * The named volume `source` is the directory of. Empty on first use, it gets what the
   * image has at `target` (Docker's copy-up), unless `noCopy`.
   */
  volume?: { name: string; noCopy?: boolean };
}

export interface TmpfsMount {
  kind: 'tmpfs';
  target: string;
  /** Bytes; unlimited (half of RAM, the kernel's default) when absent. */
  size?: number;
  /** File mode of the mount's root, e.g. 0o1777. */
  mode?: number;
  readOnly?: boolean;
}

export type Mount = BindMount | TmpfsMount;

export interface Ulimit {
  /** The name as compose writes it: `nofile`, `nproc`, `core`… */
  name: string;
  soft: number;
  hard: number;
}

/** cgroup limits; absent means unlimited. */
export interface Resources {
  /** Bytes (`mem_limit`, `deploy.resources.limits.memory`). */
  memory?: number;
  /** Bytes (`mem_reservation`). */
  memoryReservation?: number;
  /** Memory plus swap, bytes (`memswap_limit`); -1 is unlimited swap. */
  memorySwap?: number;
  /** CPUs as a fraction (`cpus: 0.5`): quota over a 100 ms period. */
  cpus?: number;
  /** Relative weight (`cpu_shares`), 1024 by default. */
  cpuShares?: number;
  /** `cpuset: "0-1"`. */
  cpusetCpus?: string;
  /** `pids_limit`; -1 or 0 is unlimited. */
  pids?: number;
  /** `oom_score_adj`. */
  oomScoreAdj?: number;
}

export interface ContainerSpec {
  /** The engine's container ID: 64 hex characters. */
  id: string;
  /** The container's name: `<project>-<service>-<n>` or the `container_name`. */
  name: string;
  /** The project it belongs to: its cgroup parent and its labels name it. */
  project: string;
  /** The image's config digest (its ID). */
  image: string;
  /** `entrypoint` and `command` as given; null means "the image's". */
  entrypoint: string[] | null;
  command: string[] | null;
  /** Added over the image's `Env`; a later name wins. */
  env: Record<string, string>;
  /** `user: name|uid[:group|gid]`; the image's `User` when absent. */
  user?: string;
  /** Extra groups (`group_add`), names or gids. */
  groupAdd?: string[];
  workingDir?: string;
  hostname?: string;
  domainname?: string;
  network: NetworkMode;
  ipc: NamespaceMode;
  pid: NamespaceMode;
  /** Names as compose writes them: `NET_ADMIN` or `CAP_NET_ADMIN`; `ALL`. */
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  readOnly?: boolean;
  mounts: Mount[];
  /** Bytes for /dev/shm; 64 MiB by default, as Docker. */
  shmSize?: number;
  sysctls?: Record<string, string>;
  ulimits?: Ulimit[];
  /** `security_opt: [no-new-privileges]` (or `no-new-privileges:true`). */
  noNewPrivileges?: boolean;
  /** `stop_signal`; the image's StopSignal, else SIGTERM, when absent. */
  stopSignal?: string;
  /** Run an init (tini or catatonit, bind-mounted in) as PID 1 that forwards signals. */
  init?: { path: string };
  resources: Resources;
  /** Labels recorded with the container and put into the OCI annotations. */
  labels: Record<string, string>;
  /** `/etc/hosts`, `/etc/resolv.conf`, `/etc/hostname`: host files bind-mounted in. */
  etcFiles?: { hosts?: string; resolvConf?: string; hostname?: string };
  /** A terminal for the process (`tty`): conmon holds its other end and logs it. */
  tty?: boolean;
  /** Standard input kept open, though nothing writes to it yet (`stdin_open`). */
  stdinOpen?: boolean;
}
