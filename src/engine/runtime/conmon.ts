import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { NotFoundError, RuntimeError } from '../../errors.js';
import { findConmon, type RuntimeBinary } from './choose.js';
import { readReport } from './conmon-sync.js';
import { createError } from './create-error.js';
import { OciRuntime } from './runc.js';

export interface ConmonLaunch {
  id: string;
  name: string;
  bundle: string;
  runtime: RuntimeBinary;
  /** The runtime's state directory (`--root`). */
  runtimeRoot: string;
  /** The container's log, in the CRI format (conmon's k8s-file driver). */
  logPath: string;
  /** conmon writes `<exitDir>/<id>` with the exit code. */
  exitDir: string;
  /** conmon's -0 directory: it writes `exit`, and `oom` after an OOM kill, there. */
  persistDir: string;
  /** The container's init pid, written by the runtime. */
  pidFile: string;
  conmonPidFile: string;
  /** Run by conmon once the container has exited: how the keeper is told. */
  exitCommand?: { path: string; args: string[] };
  /** Bytes; conmon starts a new log file beyond it. */
  logSizeMax?: number;
  /** A pseudo-terminal for the process (`-t`); config.json must say `terminal: true`. */
  terminal?: boolean;
  /** A stdin pipe conmon keeps open (`-i`), so that a process reading it waits. */
  stdin?: boolean;
  /** conmon's working directory (it writes an `oom` file there too): persistDir by default. */
  cwd?: string;
  /** The conmon binary; found with findConmon() when absent. */
  conmon?: string;
  /** conmon's environment, which the exit command inherits; a plain PATH by default. */
  env?: Record<string, string>;
  /** How long the runtime may take to create the container: 30 s by default. */
  timeoutMs?: number;
}

export interface Launched {
  /** The container's init process, on the host. */
  pid: number;
  conmonPid: number;
  /** Milliseconds from spawning conmon to its report, and for `runc start`. */
  timings: { createMs: number; startMs?: number };
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DEFAULT_TIMEOUT_MS = 30_000;

/** Creates the container under conmon and starts it; resolves once its process runs. */
export async function launchContainer(
  launch: ConmonLaunch,
  runtime: OciRuntime,
): Promise<Launched> {
  const created = await createContainer(launch);
  const oci =
    runtime.root === launch.runtimeRoot
      ? runtime
      : new OciRuntime(runtime.binary, launch.runtimeRoot);
  const started = performance.now();
  try {
    await oci.start(launch.id);
  } catch (error) {
    // A created container that cannot start only holds conmon and a cgroup: let them go.
    await oci.delete(launch.id, { force: true }).catch(() => undefined);
    throw error;
  }
  return { ...created, timings: { ...created.timings, startMs: performance.now() - started } };
}

/**
 * Creates the container (`runc create`, through conmon) without starting it.
 *
 * conmon must outlive this process and be the container's parent and subreaper, so it is
 * spawned detached with nothing of ours on its stdio (a pipe there would keep this side
 * waiting for as long as the container runs). The hand-off is two extra pipes: conmon
 * waits for a write on the start pipe (fd 4) before it forks, then reports on the sync
 * pipe (fd 3) `{"data": <pid>}`, or `{"data": -1, "message": <the runtime's stderr>}`.
 * Both are closed afterwards and the child unreferenced: the event loop keeps nothing.
 */
export async function createContainer(launch: ConmonLaunch): Promise<Launched> {
  const conmon = launch.conmon ?? findConmon();
  prepareDirectories(launch);
  const stderrFile = path.join(launch.persistDir, 'conmon.stderr');
  const stderrFd = openSync(stderrFile, 'w');
  const began = performance.now();
  let child: ChildProcess;
  try {
    child = spawn(conmon, conmonArgs(launch), {
      cwd: launch.cwd ?? launch.persistDir,
      detached: true,
      env: { PATH: DEFAULT_PATH, ...launch.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' },
      stdio: ['ignore', stderrFd, stderrFd, 'pipe', 'pipe'],
    });
  } finally {
    closeSync(stderrFd);
  }
  const sync = child.stdio[3] as Readable;
  const start = child.stdio[4] as Writable;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const timeoutMs = launch.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const report = readReport(child, sync, timeoutMs, () => killConmon(launch.conmonPidFile));
    start.on('error', () => undefined);
    start.end('0');
    const { data, message } = await report;
    if (data === undefined) throw conmonFailed(launch, readFileSync(stderrFile, 'utf8'));
    if (data < 0) throw createError(launch.id, message ?? '');
    // The first conmon writes the pid file of the second and exits right after its fork.
    await exited;
    return {
      pid: data,
      conmonPid: readPid(launch.conmonPidFile),
      timings: { createMs: performance.now() - began },
    };
  } finally {
    sync.destroy();
    start.destroy();
    child.unref();
  }
}

/** conmon's command line: API version 1, the runtime's --root, the attach socket in the bundle. */
export function conmonArgs(launch: ConmonLaunch): string[] {
  const args = [
    '--api-version',
    '--cid',
    launch.id,
    '--cuuid',
    launch.id,
    '--name',
    launch.name,
    '--runtime',
    launch.runtime.path,
    '--runtime-arg',
    '--root',
    '--runtime-arg',
    launch.runtimeRoot,
    '--bundle',
    launch.bundle,
    '--container-pidfile',
    launch.pidFile,
    '--conmon-pidfile',
    launch.conmonPidFile,
    '--log-path',
    `k8s-file:${launch.logPath}`,
    '--exit-dir',
    launch.exitDir,
    '--persist-dir',
    launch.persistDir,
    // The attach socket goes in the bundle by its full path: no symlink in a socket directory.
    '--full-attach',
  ];
  if (launch.logSizeMax !== undefined) args.push('--log-size-max', String(launch.logSizeMax));
  if (launch.terminal) args.push('--terminal');
  if (launch.stdin) args.push('--stdin', '--leave-stdin-open');
  if (launch.exitCommand) {
    args.push('--exit-command', launch.exitCommand.path);
    for (const arg of launch.exitCommand.args) args.push('--exit-command-arg', arg);
  }
  return args;
}

function prepareDirectories(launch: ConmonLaunch): void {
  if (!existsSync(path.join(launch.bundle, 'config.json'))) {
    throw new NotFoundError(`the bundle ${launch.bundle} has no config.json`, {
      hint: 'write the OCI config before creating the container',
    });
  }
  const files = [launch.logPath, launch.pidFile, launch.conmonPidFile];
  for (const dir of [launch.exitDir, launch.persistDir, ...files.map((f) => path.dirname(f))]) {
    mkdirSync(dir, { recursive: true });
  }
  // What a previous run of the same ID left would read as this one's exit.
  const stale = [path.join(launch.exitDir, launch.id), launch.pidFile, launch.conmonPidFile];
  stale.push(path.join(launch.persistDir, 'exit'), path.join(launch.persistDir, 'oom'));
  for (const file of stale) rmSync(file, { force: true });
}

function conmonFailed(launch: ConmonLaunch, stderr: string): RuntimeError {
  const said = stderr.trim().replace(/\s*\n\s*/g, '; ');
  return new RuntimeError(
    `conmon exited before it reported container ${launch.id}${said ? `: ${said}` : ''}`,
    { hint: `check the bundle ${launch.bundle} and that ${launch.runtime.path} runs` },
  );
}

function readPid(file: string): number {
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new RuntimeError(`conmon wrote no pid to ${file}`);
  }
  return pid;
}

/** A stuck hand-off leaves no conmon behind: it is ours, known by its pid file. */
function killConmon(pidFile: string): void {
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
  } catch {
    // No pid file yet, or conmon has already exited.
  }
}
