import path from 'node:path';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
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
import { OciRuntime } from '../runtime/runc.js';
import { parseSignal, signalDisposition } from '../runtime/signals.js';
import { buildOciSpec, ociConfigJson } from '../runtime/spec/index.js';
import { attachedRun, type AttachedRun } from './attach.js';
export type { AttachedRun } from './attach.js';
import { execProcess, requireRunning, writeExecFile, type ExecWanted } from './exec.js';
import { givenFileMounts, writeGivenFiles, type GivenFile } from './given-files.js';
export type { GivenFile } from './given-files.js';
import { readyVolumes, releaseVolumes } from './volumes.js';
import type { ContainerSpec } from '../runtime/types.js';
import { isMounted, mountOverlay, unmount } from '../snapshot/overlay.js';
import { Snapshotter } from '../snapshot/snapshotter.js';
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
    const given = input.files ?? [];
    const spec: ContainerSpec = {
      ...input.spec,
      mounts: [...input.spec.mounts, ...givenFileMounts(paths.files, given)],
    };
    const record = this.records.insert({ ...input, spec });
    try {
      for (const dir of [paths.upper, paths.work, paths.persist])
        mkdirSync(dir, { recursive: true });
      writeGivenFiles(paths.files, given);
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
    return attachedRun(id, this.runtime.binary, paths, {
      running: (runtimePid) => this.event(this.markRunning(record, null, runtimePid), 'start'),
      pid: (pid) => void this.records.transition(id, ['running'], { pid }),
      finish: () => this.finish(id),
    });
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
    await readyVolumes(this.engine, record, paths.rootfs);
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
    releaseVolumes(this.engine, record, this.records.all());
    this.event(record, 'destroy');
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
    options: ExecWanted & { timeoutMs?: number; signal?: AbortSignal } = {},
  ) {
    requireRunning(this.refresh(id));
    const { timeoutMs, signal, ...wanted } = options;
    return this.runtime.exec(id, execProcess(this.pathsOf(id), args, wanted), {
      timeoutMs,
      signal,
    });
  }

  /**
   * The command line of an interactive exec (`tscompose exec`), for the caller to spawn
   * with the terminal's stdio: the process file it names is removed by `done`.
   */
  execCommandLine(
    id: string,
    args: string[],
    options: Omit<ExecWanted, 'privileged'> & { tty: boolean },
  ): { command: string; args: string[]; done: () => void } {
    requireRunning(this.refresh(id));
    const { tty, ...wanted } = options;
    const paths = this.pathsOf(id);
    const file = writeExecFile(paths, execProcess(paths, args, wanted), tty);
    const line = this.runtime.execArgv(id, file, { tty });
    return { ...line, done: () => rmSync(file, { force: true }) };
  }

  /** The stack's names in the container's /etc/hosts (the keeper keeps them current). */
  updateHosts(id: string, entries: { ip: string; names: string[] }[]): void {
    updateStackHosts(this.pathsOf(id), entries);
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
