import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { ConflictError, RuntimeError, TsComposeError } from '../../errors.js';
import {
  cgroupExists,
  containerCgroupPath,
  detectCgroups,
  killCgroup,
  projectCgroupPath,
  readStats,
  removeCgroup,
  type CgroupHost,
  type CgroupStats,
} from '../cgroups/index.js';
import type { Engine } from '../engine.js';
import { ImageRepository } from '../image/repository.js';
import { NetworkManager } from '../network/index.js';
import type { ImageConfig } from '../image/types.js';
import { chooseRuntime, findConmon } from '../runtime/choose.js';
import { launchContainer } from '../runtime/conmon.js';
import { isAlive, readExit, waitForExit } from '../runtime/exit.js';
import { execSpec } from '../runtime/runc-exec.js';
import { OciRuntime } from '../runtime/runc.js';
import { parseSignal, signalDisposition } from '../runtime/signals.js';
import {
  buildOciSpec,
  ociConfigJson,
  ociProcessJson,
  parseOciProcess,
} from '../runtime/spec/index.js';
import { readUserDatabase, resolveUser } from '../runtime/spec/user.js';
import { createError } from '../runtime/create-error.js';
import { LogWriter } from '../runtime/logs.js';
import type { ContainerSpec, Mount } from '../runtime/types.js';
import { isMounted, mountOverlay, unmount } from '../snapshot/overlay.js';
import { resolveInRoot } from '../snapshot/safe-path.js';
import { Snapshotter } from '../snapshot/snapshotter.js';
import { runTool } from '../snapshot/tools.js';
import { VolumeStore } from '../volumes/store.js';
import { recordEvent } from '../state/events.js';
import { now } from '../state/db.js';
import { writeFileAtomic } from '../store/atomic.js';
import { copyTree, hostPathOf } from './copy.js';
import { hostName, updateStackHosts, writeEtcFiles, type EtcInput } from './etc-files.js';
import { containerPaths, type ContainerPaths } from './paths.js';
import { ContainerRecords, type ContainerRecord, type NewContainer } from './records.js';

export interface ManagerOptions {
  /** TSCOMPOSE_RUNTIME: `runc`, `crun` or a path. */
  runtime?: string;
  conmon?: string;
  /** For tests: where cgroups are mounted. */
  cgroupRoot?: string;
}

export interface StopOptions {
  /** The grace period before SIGKILL; 10 s by default, as Docker. */
  timeoutMs?: number;
  /** Overrides the container's stop signal. */
  signal?: string;
  /** A stop the user asked for: restart policies leave the container stopped. */
  byUser?: boolean;
}

export interface CreateOptions extends NewContainer {
  /** /etc files beyond the defaults: extra_hosts, dns. */
  etc?: Omit<EtcInput, 'hostname' | 'domainname' | 'network'>;
  /**
   * Files given to the container (a secret or config from `environment` or `content`):
   * written under the container's own directory, owned and moded as asked, and mounted
   * read-only at `target`. Their content is not kept in the database.
   */
  files?: GivenFile[];
}

/** A container the caller runs in front of itself: see `ContainerManager.attach`. */
export interface AttachedRun {
  command: string;
  args: string[];
  /** Where captured output goes, so that `logs` has it as for any container. */
  log: LogWriter;
  /**
   * Whether a chunk of the runtime's stderr is its own last word about a start that
   * failed (which `finished` turns into an error), rather than the container's output.
   */
  isRuntimeFailure(chunk: Buffer): boolean;
  started(runtimePid: number): void;
  finished(exitCode: number): Promise<ContainerRecord>;
}

export interface GivenFile {
  target: string;
  content: string;
  /** 0o444 when absent. */
  mode?: number;
  uid?: number;
  gid?: number;
}

const DEFAULT_GRACE_MS = 10_000;

/**
 * Containers from creation to removal: each runs under its own conmon, so it outlives the
 * process that started it, and every method first learns what happened since (a container
 * may have exited on its own while nobody watched).
 */
export class ContainerManager {
  readonly records: ContainerRecords;
  readonly cgroups: CgroupHost;
  private readonly images: ImageRepository;
  private readonly snapshots: Snapshotter;
  private ociRuntime?: OciRuntime;
  private conmonPath?: string;

  constructor(
    private readonly engine: Engine,
    private readonly options: ManagerOptions = {},
  ) {
    this.records = new ContainerRecords(engine.db);
    this.images = new ImageRepository(engine.db, engine.store);
    this.snapshots = new Snapshotter(engine);
    this.cgroups = detectCgroups({ root: options.cgroupRoot });
  }

  /** The OCI runtime, found on first use so that listing containers needs no runc. */
  get runtime(): OciRuntime {
    if (!this.ociRuntime) {
      const binary = chooseRuntime({
        override: this.options.runtime,
        pureCgroupV2: this.cgroups.version === 'v2' && !this.cgroups.hybrid,
      });
      this.ociRuntime = new OciRuntime(binary, this.pathsOf('').runtimeRoot);
    }
    return this.ociRuntime;
  }

  pathsOf(id: string): ContainerPaths {
    return containerPaths(this.engine.paths, id);
  }

  /** Records the container and prepares its directories; nothing runs yet. */
  async create(input: CreateOptions): Promise<ContainerRecord> {
    if (!this.images.get(input.spec.image)) this.missingImage(input.spec);
    const paths = this.pathsOf(input.spec.id);
    const given = (input.files ?? []).map((file, i) => ({
      ...file,
      source: path.join(paths.files, String(i)),
    }));
    const spec: ContainerSpec = {
      ...input.spec,
      mounts: [
        ...input.spec.mounts,
        ...given.map(({ source, target }) => ({
          kind: 'bind' as const,
          source,
          target,
          readOnly: true,
        })),
      ],
    };
    const record = this.records.insert({ ...input, spec });
    try {
      for (const dir of [paths.upper, paths.work, paths.persist])
        mkdirSync(dir, { recursive: true });
      if (given.length > 0) mkdirSync(paths.files, { mode: 0o700 });
      for (const file of given) {
        writeFileSync(file.source, file.content, { mode: 0o600 });
        chownSync(file.source, file.uid ?? 0, file.gid ?? 0);
        chmodSync(file.source, file.mode ?? 0o444);
      }
      writeEtcFiles(paths, {
        ...input.etc,
        hostname: spec.network.kind === 'host' && !spec.hostname ? hostName() : spec.hostname!,
        domainname: spec.domainname,
        network: spec.network,
      });
    } catch (error) {
      this.records.delete(spec.id);
      rmSync(paths.dir, { recursive: true, force: true });
      throw error;
    }
    this.event(record, 'create');
    return record;
  }

  /** Starts a created or exited container; one that runs already is left alone. */
  async start(id: string): Promise<ContainerRecord> {
    let record = this.refresh(id);
    if (record.state === 'running' || record.state === 'paused') return record;
    const paths = this.pathsOf(id);
    try {
      await this.prepare(record, paths, { tty: record.spec.tty === true });
      const { pid, conmonPid } = await launchContainer(
        {
          id,
          name: record.name,
          bundle: paths.bundle,
          runtime: this.runtime.binary,
          runtimeRoot: paths.runtimeRoot,
          logPath: paths.log,
          exitDir: paths.exitDir,
          persistDir: paths.persist,
          pidFile: paths.pidFile,
          conmonPidFile: paths.conmonPidFile,
          conmon: (this.conmonPath ??= findConmon(this.options.conmon)),
          terminal: record.spec.tty,
          stdin: record.spec.stdinOpen,
        },
        this.runtime,
      );
      record = this.markRunning(record, pid, conmonPid);
    } catch (error) {
      await this.failedStart(record, paths, error);
      throw error;
    }
    this.event(record, 'start');
    return record;
  }

  /**
   * A container run in front of the caller, with the caller's stdio (`run` without -d):
   * the runtime itself, not conmon, carries it, and gives it the caller's terminal when
   * `tty`. The caller spawns `command`, says `started` with the runtime's pid, writes
   * output it captures to `log`, and says `finished` with the exit status; the container
   * is then an exited one like any other. If the caller dies, the record says the
   * container died with it.
   */
  async attach(id: string, options: { tty: boolean }): Promise<AttachedRun> {
    const record = this.refresh(id);
    if (record.state !== 'created' && record.state !== 'exited') {
      throw new ConflictError(`container ${record.name} is ${record.state}`, {
        hint: 'attach runs a container that is not running',
      });
    }
    const paths = this.pathsOf(id);
    try {
      await this.prepare(record, paths, { tty: options.tty });
    } catch (error) {
      await this.failedStart(record, paths, error);
      throw error;
    }
    rmSync(paths.pidFile, { force: true });
    rmSync(paths.attachLog, { force: true });
    const runtime = this.runtime;
    return {
      command: runtime.binary.path,
      args: [
        '--root',
        paths.runtimeRoot,
        '--log',
        paths.attachLog,
        'run',
        '--bundle',
        paths.bundle,
        '--pid-file',
        paths.pidFile,
        id,
      ],
      log: new LogWriter(paths.log),
      isRuntimeFailure: (chunk) =>
        !existsSync(paths.pidFile) &&
        chunk.toString().startsWith(`${runtime.binary.name} run failed:`),
      started: (runtimePid) => {
        const running = this.markRunning(record, null, runtimePid);
        this.event(running, 'start');
        void this.notePid(id, paths.pidFile);
      },
      finished: async (exitCode) => {
        const neverRan = this.records.get(id).pid === null && !existsSync(paths.pidFile);
        const said = existsSync(paths.attachLog) ? readFileSync(paths.attachLog, 'utf8') : '';
        rmSync(paths.attachLog, { force: true });
        if (neverRan && said.trim() !== '') {
          // The runtime could not start the process: its words, as a create error.
          const error = createError(id, said);
          writeFileAtomic(path.join(paths.exitDir, id), String(error.exitCode ?? 128));
          await this.finish(id);
          throw error;
        }
        writeFileAtomic(path.join(paths.exitDir, id), String(exitCode));
        return this.finish(id);
      },
    };
  }

  /**
   * Everything a start needs before the process: the runtime's leftovers gone, the root
   * file system mounted, the volumes ready, config.json written, no old exit recorded.
   */
  private async prepare(
    record: ContainerRecord,
    paths: ContainerPaths,
    options: { tty: boolean },
  ): Promise<void> {
    const id = record.id;
    // What an earlier run left in the runtime's state; a process spawn only when there is some.
    if (existsSync(path.join(paths.runtimeRoot, id)))
      await this.runtime.delete(id, { force: true });
    const imageConfig = await this.mountRoot(record, paths);
    await this.copyUpVolumes(record, paths);
    const spec: ContainerSpec = {
      ...record.spec,
      tty: options.tty,
      etcFiles: record.spec.etcFiles ?? {
        hosts: paths.hosts,
        hostname: paths.hostname,
        resolvConf: paths.resolvConf,
      },
    };
    const built = buildOciSpec({
      spec,
      image: imageConfig.config ?? {},
      rootfs: paths.rootfs,
      cgroupsPath: containerCgroupPath(record.project, id),
    });
    writeFileAtomic(paths.config, ociConfigJson(built.config));
    rmSync(`${paths.exitDir}/${id}`, { force: true });
    rmSync(paths.persist, { recursive: true, force: true });
    mkdirSync(paths.persist, { recursive: true });
    mkdirSync(paths.exitDir, { recursive: true });
  }

  /** A start that failed: nothing left mounted, and the record says why it is not running. */
  private async failedStart(
    record: ContainerRecord,
    paths: ContainerPaths,
    error: unknown,
  ): Promise<void> {
    await this.cleanUpAfterExit(record, paths);
    const commandMissing = error instanceof TsComposeError && /not found/.test(error.message);
    this.records.update(record.id, {
      state: 'exited',
      exitCode: commandMissing ? 127 : 128,
      finishedAt: now(),
    });
  }

  private markRunning(
    record: ContainerRecord,
    pid: number | null,
    conmonPid: number,
  ): ContainerRecord {
    return this.records.update(record.id, {
      state: 'running',
      pid,
      conmonPid,
      exitCode: null,
      oomKilled: false,
      stoppedByUser: false,
      health: record.health === null ? null : 'starting',
      startedAt: now(),
      finishedAt: null,
    });
  }

  /** The container's own pid, once the runtime of an attached run has written it. */
  private async notePid(id: string, pidFile: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const pid = Number(existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : '');
      if (Number.isInteger(pid) && pid > 0) {
        this.records.transition(id, ['running'], { pid });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * The stop signal, then SIGKILL to the whole cgroup after the grace period. A PID 1
   * with no handler for the signal never sees it (the kernel drops signals to a
   * namespace's init that it does not catch), so then there is nothing to wait for.
   */
  async stop(id: string, options: StopOptions = {}): Promise<ContainerRecord> {
    let record = this.refresh(id);
    if (options.byUser) record = this.records.update(id, { stoppedByUser: true });
    if (record.state !== 'running' && record.state !== 'paused') return record;
    const signal = parseSignal(options.signal ?? this.stopSignal(record));
    const grace = options.timeoutMs ?? DEFAULT_GRACE_MS;
    if (record.state === 'paused') await this.runtime.resume(id);

    const ownInit = record.spec.pid.kind === 'private';
    const disposition = record.pid ? signalDisposition(record.pid, signal.number) : 'gone';
    const heard = disposition === 'caught' || (!ownInit && disposition === 'default');
    if (heard && grace > 0) {
      await this.runtime.kill(id, signal.name);
      const exited = await this.waitExit(id, grace);
      if (exited) return this.finish(id, true);
    }
    await this.forceKill(record);
    await this.waitExit(id, 5_000);
    return this.finish(id, true);
  }

  async kill(id: string, signal = 'SIGKILL'): Promise<ContainerRecord> {
    const record = this.refresh(id);
    if (record.state !== 'running' && record.state !== 'paused') {
      throw new ConflictError(`container ${record.name} is not running`, {
        hint: 'start it first: tscompose start',
      });
    }
    const parsed = parseSignal(signal);
    await this.runtime.kill(id, parsed.name, { all: parsed.name === 'SIGKILL' });
    this.event(record, 'kill', { signal: parsed.name });
    if (parsed.name === 'SIGKILL') await this.waitExit(id, 5_000);
    return this.refresh(id);
  }

  async pause(id: string): Promise<ContainerRecord> {
    const record = this.refresh(id);
    if (record.state !== 'running') {
      throw new ConflictError(`container ${record.name} is not running`);
    }
    await this.runtime.pause(id);
    this.event(record, 'pause');
    return this.records.update(id, { state: 'paused' });
  }

  async unpause(id: string): Promise<ContainerRecord> {
    const record = this.refresh(id);
    if (record.state !== 'paused') {
      throw new ConflictError(`container ${record.name} is not paused`);
    }
    await this.runtime.resume(id);
    this.event(record, 'unpause');
    return this.records.update(id, { state: 'running' });
  }

  /** Removes the container and everything made for it: mount, cgroup, files, record. */
  async remove(id: string, options: { force?: boolean } = {}): Promise<void> {
    const record = this.refresh(id);
    if ((record.state === 'running' || record.state === 'paused') && !options.force) {
      throw new ConflictError(`container ${record.name} is running`, {
        hint: 'stop it first, or remove it with --force',
      });
    }
    if (record.state === 'running' || record.state === 'paused') {
      await this.stop(id, { timeoutMs: 0 });
    }
    const paths = this.pathsOf(id);
    await this.cleanUpAfterExit(record, paths);
    // The namespace made for it on its networks, and its addresses there.
    const networks = new NetworkManager(this.engine);
    if (networks.leasesOf(id).length > 0 || existsSync(networks.namespacePath(id))) {
      await networks.deleteNamespace(id);
    }
    rmSync(paths.bundle, { recursive: true, force: true });
    rmSync(paths.dir, { recursive: true, force: true });
    this.records.delete(id);
    this.releaseVolumes(record);
    this.event(record, 'destroy');
  }

  /** The backing mounts of the container's volumes that no other container uses now. */
  private releaseVolumes(record: ContainerRecord): void {
    const names = volumeNames(record.spec.mounts);
    if (names.length === 0) return;
    const used = new Set(this.records.all().flatMap((other) => volumeNames(other.spec.mounts)));
    const volumes = new VolumeStore(this.engine);
    for (const name of names) if (!used.has(name)) volumes.release(name);
  }

  /**
   * Brings the record up to date with what conmon saw: a container recorded as running
   * whose exit file exists has exited, with that code. One whose conmon is gone without
   * an exit file died with it (the host rebooted, or someone killed conmon).
   */
  refresh(id: string): ContainerRecord {
    const record = this.records.get(id);
    if (record.state !== 'running' && record.state !== 'paused') return record;
    const paths = this.pathsOf(id);
    const exit = readExit(paths.exitDir, paths.persist, id);
    if (exit) {
      const updated = this.records.transition(id, ['running', 'paused'], {
        state: 'exited',
        exitCode: exit.exitCode,
        oomKilled: exit.oomKilled,
        pid: null,
        finishedAt: exit.finishedAt,
      });
      if (!updated) return this.records.get(id);
      if (exit.oomKilled) this.event(updated, 'oom', {});
      this.event(updated, 'die', { exitCode: exit.exitCode, oomKilled: exit.oomKilled });
      return updated;
    }
    if (record.conmonPid && !isAlive(record.conmonPid)) {
      const updated = this.records.transition(id, ['running', 'paused'], {
        state: 'exited',
        exitCode: record.exitCode ?? 255,
        pid: null,
        finishedAt: now(),
      });
      if (!updated) return this.records.get(id);
      this.event(updated, 'die', { exitCode: updated.exitCode, reason: 'monitor gone' });
      return updated;
    }
    return record;
  }

  /**
   * Runs a command in a running container, as a healthcheck probe or `exec -T` does: its
   * output captured, and its process killed when the timeout passes.
   */
  async exec(
    id: string,
    args: string[],
    options: {
      timeoutMs?: number;
      signal?: AbortSignal;
      /** `name|uid[:group|gid]`, resolved in the container's own /etc/passwd and /etc/group. */
      user?: string;
      cwd?: string;
      /** Laid over the container's own environment. */
      env?: Record<string, string>;
      privileged?: boolean;
    } = {},
  ) {
    const record = this.refresh(id);
    if (record.state !== 'running') {
      throw new ConflictError(`container ${record.name} is not running`, {
        hint: 'start it first: tscompose start',
      });
    }
    // The runtime gives the probe the container's own env, cwd and user, unless told.
    const paths = this.pathsOf(id);
    const extra = Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`);
    const env =
      extra.length > 0
        ? [...parseOciProcess(readFileSync(paths.config, 'utf8')).env, ...extra]
        : undefined;
    const wanted = {
      args,
      env,
      cwd: options.cwd,
      user: options.user ? this.userIn(paths.rootfs, options.user) : undefined,
      privileged: options.privileged,
    };
    return this.runtime.exec(id, wanted, {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
  }

  /**
   * The command line of an interactive exec (`tscompose exec`), for the caller to spawn
   * with the terminal's stdio: the process file it names is removed by `done`.
   */
  execCommandLine(
    id: string,
    args: string[],
    options: {
      tty: boolean;
      /** `name|uid[:group|gid]`, resolved in the container's own /etc/passwd and /etc/group. */
      user?: string;
      cwd?: string;
      env?: Record<string, string>;
    },
  ): { command: string; args: string[]; done: () => void } {
    const record = this.refresh(id);
    if (record.state !== 'running') {
      throw new ConflictError(`container ${record.name} is not running`, {
        hint: 'start it first: tscompose start',
      });
    }
    const paths = this.pathsOf(id);
    const main = parseOciProcess(readFileSync(paths.config, 'utf8'));
    const extra = Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`);
    const file = `${paths.bundle}/exec-${randomBytes(6).toString('hex')}.json`;
    const processSpec = {
      ...execSpec(main, {
        args,
        env: extra.length > 0 ? [...main.env, ...extra] : undefined,
        cwd: options.cwd,
        user: options.user ? this.userIn(paths.rootfs, options.user) : undefined,
      }),
      terminal: options.tty,
    };
    writeFileAtomic(file, ociProcessJson(processSpec));
    const line = this.runtime.execArgv(id, file, { tty: options.tty });
    return { ...line, done: () => rmSync(file, { force: true }) };
  }

  /** The stack's names in the container's /etc/hosts (the keeper keeps them current). */
  updateHosts(id: string, entries: { ip: string; names: string[] }[]): void {
    updateStackHosts(this.pathsOf(id), entries);
  }

  private userIn(rootfs: string, user: string) {
    const resolved = resolveUser(user, [], readUserDatabase(rootfs));
    return { uid: resolved.uid, gid: resolved.gid, additionalGids: resolved.additionalGids };
  }

  /**
   * Copies between the host and the container (`cp`), running or not: a stopped one has
   * its root file system mounted for the copy and let go of after.
   */
  async copy(
    id: string,
    direction: 'in' | 'out',
    containerPath: string,
    hostPath: string,
  ): Promise<void> {
    const record = this.refresh(id);
    const paths = this.pathsOf(id);
    const wasMounted = isMounted(paths.rootfs);
    if (!wasMounted) await this.mountRoot(record, paths);
    try {
      const inside = hostPathOf(paths.rootfs, record.spec.mounts, containerPath);
      if (direction === 'out') await copyTree(inside, hostPath);
      else await copyTree(hostPath, inside);
    } finally {
      if (!wasMounted && record.state !== 'running' && record.state !== 'paused') {
        await unmount(paths.rootfs);
      }
    }
  }

  setHealth(id: string, health: ContainerRecord['health']): ContainerRecord {
    const before = this.records.get(id);
    const after = this.records.update(id, { health });
    if (before.health !== health && health) this.event(after, 'health_status', { health });
    return after;
  }

  /** Every container of a project, brought up to date. */
  list(project?: string): ContainerRecord[] {
    const records = project === undefined ? this.records.all() : this.records.byProject(project);
    return records.map((record) => this.refresh(record.id));
  }

  stats(id: string): CgroupStats {
    const record = this.refresh(id);
    return readStats(this.cgroups, containerCgroupPath(record.project, record.id));
  }

  /** Waits until the container has exited; its exit code. */
  async wait(id: string, signal?: AbortSignal): Promise<number> {
    const paths = this.pathsOf(id);
    const record = this.refresh(id);
    if (record.state === 'exited' || record.state === 'created') return record.exitCode ?? 0;
    await waitForExit(paths.exitDir, paths.persist, id, { signal });
    return (await this.finish(id)).exitCode ?? 0;
  }

  /** The project's parent cgroup, once its last container is gone. */
  async removeProjectCgroup(project: string): Promise<void> {
    await removeCgroup(this.cgroups, projectCgroupPath(project));
  }

  /** The record after an exit: the runtime's state, the mount and the cgroup let go of. */
  private async finish(id: string, stopped = false): Promise<ContainerRecord> {
    const record = this.refresh(id);
    if (record.state === 'running' || record.state === 'paused') {
      throw new RuntimeError(`container ${record.name} did not stop`, {
        hint: `its processes could not be killed; see ps -e and the cgroup ${containerCgroupPath(record.project, id)}`,
      });
    }
    await this.cleanUpAfterExit(record, this.pathsOf(id));
    if (stopped) this.event(record, 'stop');
    return this.records.get(id);
  }

  private async cleanUpAfterExit(record: ContainerRecord, paths: ContainerPaths): Promise<void> {
    await this.runtime.delete(record.id, { force: true });
    const cgroup = containerCgroupPath(record.project, record.id);
    if (cgroupExists(this.cgroups, cgroup)) {
      killCgroup(this.cgroups, cgroup, 'SIGKILL');
      await removeCgroup(this.cgroups, cgroup);
    }
    // Another process (the keeper, a second CLI) may be letting go of it at the same time.
    try {
      if (isMounted(paths.rootfs)) await unmount(paths.rootfs);
    } catch (error) {
      if (isMounted(paths.rootfs)) throw error;
    }
  }

  private async forceKill(record: ContainerRecord): Promise<void> {
    await this.runtime.kill(record.id, 'SIGKILL', { all: true });
    const cgroup = containerCgroupPath(record.project, record.id);
    if (cgroupExists(this.cgroups, cgroup)) killCgroup(this.cgroups, cgroup, 'SIGKILL');
    this.event(record, 'kill', { signal: 'SIGKILL' });
  }

  private async waitExit(id: string, timeoutMs: number): Promise<boolean> {
    const paths = this.pathsOf(id);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      await waitForExit(paths.exitDir, paths.persist, id, { signal: controller.signal });
      return true;
    } catch (error) {
      if (controller.signal.aborted) return false;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async mountRoot(record: ContainerRecord, paths: ContainerPaths): Promise<ImageConfig> {
    const image = this.images.get(record.imageId) ?? this.missingImage(record.spec);
    const prepared = await this.snapshots.prepare(image);
    mkdirSync(paths.rootfs, { recursive: true });
    if (!isMounted(paths.rootfs)) {
      await mountOverlay({
        lowerDirs: prepared.lowerDirs,
        upperDir: paths.upper,
        workDir: paths.work,
        target: paths.rootfs,
        source: `tscompose-${record.project}`,
      });
    }
    return this.engine.store.readJson<ImageConfig>(record.imageId);
  }

  /**
   * The container's volumes, ready: a backing mount made (a tmpfs volume), and a named
   * volume used for the first time gets what the image has at its path, as Docker does
   * (unless `nocopy`); an empty path in the image leaves it empty.
   */
  private async copyUpVolumes(record: ContainerRecord, paths: ContainerPaths): Promise<void> {
    const volumes = new VolumeStore(this.engine);
    for (const mount of record.spec.mounts) {
      if (mount.kind !== 'bind' || !mount.volume) continue;
      volumes.activate(mount.volume.name);
      const volume = volumes.find(mount.volume.name);
      if (!volume || volume.initialized) continue;
      if (!mount.volume.noCopy && readdirSync(volume.mountpoint).length === 0) {
        const from = resolveInRoot(paths.rootfs, mount.target);
        if (existsSync(from) && statSync(from).isDirectory() && readdirSync(from).length > 0) {
          await runTool('cp', ['-a', '--', `${from}/.`, volume.mountpoint], {
            package: 'coreutils',
          });
        }
      }
      volumes.markInitialized(volume.name);
    }
  }

  private stopSignal(record: ContainerRecord): string {
    if (record.spec.stopSignal) return record.spec.stopSignal;
    const config = this.engine.store.readJson<ImageConfig>(record.imageId);
    return config.config?.StopSignal ?? 'SIGTERM';
  }

  private missingImage(spec: ContainerSpec): never {
    throw new RuntimeError(
      `the image ${spec.image.slice(0, 19)} of ${spec.name} is not in the store`,
      {
        hint: 'pull or build it again, then recreate the container (tscompose up --force-recreate)',
      },
    );
  }

  private event(record: ContainerRecord, action: string, data: Record<string, unknown> = {}) {
    recordEvent(this.engine.db, {
      type: 'container',
      action,
      subject: record.id,
      project: record.project,
      data: { name: record.name, service: record.service, ...data },
    });
  }
}

function volumeNames(mounts: readonly Mount[]): string[] {
  return mounts.flatMap((mount) =>
    mount.kind === 'bind' && mount.volume ? [mount.volume.name] : [],
  );
}
