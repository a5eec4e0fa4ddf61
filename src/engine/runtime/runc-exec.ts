import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import type { RuntimeBinary } from './choose.js';
import { BoundedText, ended } from './invoke.js';
import { ALL_CAPABILITIES } from './spec/capabilities.js';
import type { OciProcess } from './spec/oci.js';
import { ociProcessJson, parseOciProcess } from './spec/json.js';

export interface ExecProcess {
  args: string[];
  /** The container's environment when absent. */
  env?: string[];
  cwd?: string;
  user?: { uid: number; gid: number; additionalGids?: number[] };
  terminal?: false;
  /** Every capability, whatever the container's are (a `privileged` lifecycle hook). */
  privileged?: boolean;
}

export interface ExecOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  /** As a shell reports it: 128 + the signal's number for a process killed by one. */
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** How often to look for the pid file of a probe that must be killed before it is written. */
const PID_POLL_MS = 20;
/** After this long without a pid file, the runtime itself is killed. */
const PID_WAIT_MS = 2000;

/**
 * `runc exec --process` in the foreground, stdout and stderr captured. The runtime gives
 * the process its own stdio (no terminal), so the pipes may outlive it when the process
 * leaves a child behind: the runtime's exit ends the wait (see `ended`).
 *
 * Killing the runtime would not stop the process (it cannot forward SIGKILL), so a timeout
 * kills the process by its host pid, which `--pid-file` records; the runtime then reaps it
 * and exits with 137.
 */
export async function execProbe(
  binary: RuntimeBinary,
  root: string,
  container: { id: string; bundle: string },
  wanted: ExecProcess,
  options: ExecOptions,
): Promise<ExecResult> {
  options.signal?.throwIfAborted();
  const dir = await mkdtemp(path.join(tmpdir(), 'tscompose-exec-'));
  try {
    const spec = execSpec(await containerProcess(container.bundle), wanted);
    const processFile = path.join(dir, 'process.json');
    const pidFile = path.join(dir, 'pid');
    await writeFile(processFile, ociProcessJson(spec));

    const args = ['--root', root, 'exec', '--process', processFile, '--pid-file', pidFile];
    const child = spawn(binary.path, [...args, container.id], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout = new BoundedText();
    const stderr = new BoundedText();
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));

    let timedOut = false;
    const running = () => child.exitCode === null && child.signalCode === null;
    const stop = () => void killProbe(pidFile, running, () => child.kill('SIGKILL'));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            stop();
          }, options.timeoutMs);
    options.signal?.addEventListener('abort', stop);
    const exit = await ended(child, binary).finally(() => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', stop);
    });
    options.signal?.throwIfAborted();
    const exitCode = exit.code ?? 128 + signalNumber(exit.signal);
    return { exitCode, stdout: stdout.text(), stderr: stderr.text(), timedOut };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The process spec of an exec: the container's own process (capabilities, rlimits,
 * no_new_privileges, AppArmor and SELinux labels, and by default env, cwd and user) with
 * the exec's arguments over it.
 */
export function execSpec(base: OciProcess, wanted: ExecProcess): OciProcess {
  return {
    ...base,
    terminal: false,
    args: wanted.args,
    env: wanted.env ?? base.env,
    cwd: wanted.cwd ?? base.cwd,
    user: wanted.user ?? base.user,
    ...(wanted.privileged
      ? {
          capabilities: {
            bounding: [...ALL_CAPABILITIES],
            effective: [...ALL_CAPABILITIES],
            permitted: [...ALL_CAPABILITIES],
          },
        }
      : {}),
  };
}

async function containerProcess(bundle: string): Promise<OciProcess> {
  return parseOciProcess(await readFile(path.join(bundle, 'config.json'), 'utf8'));
}

/**
 * Kills the probe by its pid once the runtime has written it; the runtime if it never does.
 * Nothing is left to kill once the runtime has exited: the wait ends there (a probe that
 * ended as it was aborted must not hold the process up for PID_WAIT_MS).
 */
async function killProbe(
  pidFile: string,
  running: () => boolean,
  killRuntime: () => void,
): Promise<void> {
  const deadline = Date.now() + PID_WAIT_MS;
  for (;;) {
    if (!running()) return;
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 1) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // It has exited already.
      }
      return;
    }
    if (Date.now() > deadline) return killRuntime();
    await new Promise((resolve) => setTimeout(resolve, PID_POLL_MS));
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (constants.signals[signal] ?? 0);
}
