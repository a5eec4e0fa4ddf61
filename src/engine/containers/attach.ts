import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { RuntimeBinary } from '../runtime/choose.js';
import { createError } from '../runtime/create-error.js';
import { LogWriter } from '../runtime/logs.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { ContainerPaths } from './paths.js';
import type { ContainerRecord } from './records.js';

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

/** What the run needs of the manager: the record's changes are the manager's to make. */
export interface AttachHooks {
  /** The runtime carries it now: the record says running, with the runtime as its monitor. */
  running(runtimePid: number): void;
  /** The container's own pid, once known. */
  pid(pid: number): void;
  /** The record after the exit file is written: mounts let go of, state exited. */
  finish(): Promise<ContainerRecord>;
}

/**
 * `runc run` in the foreground for a prepared bundle, its own log in the bundle so that
 * a failed start is read from there, and the exit written where conmon would write it,
 * so that the rest of the engine sees an exited container like any other.
 */
export function attachedRun(
  id: string,
  binary: RuntimeBinary,
  paths: ContainerPaths,
  hooks: AttachHooks,
): AttachedRun {
  rmSync(paths.pidFile, { force: true });
  rmSync(paths.attachLog, { force: true });
  let pidKnown = false;
  const exitFile = path.join(paths.exitDir, id);
  return {
    command: binary.path,
    args: [
      '--root', paths.runtimeRoot, '--log', paths.attachLog,
      'run', '--bundle', paths.bundle, '--pid-file', paths.pidFile, id,
    ], // prettier-ignore
    log: new LogWriter(paths.log),
    isRuntimeFailure: (chunk) =>
      !existsSync(paths.pidFile) && chunk.toString().startsWith(`${binary.name} run failed:`),
    started: (runtimePid) => {
      hooks.running(runtimePid);
      void notePid(paths.pidFile, (pid) => {
        pidKnown = true;
        hooks.pid(pid);
      });
    },
    finished: async (exitCode) => {
      const neverRan = !pidKnown && !existsSync(paths.pidFile);
      const said = existsSync(paths.attachLog) ? readFileSync(paths.attachLog, 'utf8') : '';
      rmSync(paths.attachLog, { force: true });
      if (neverRan && said.trim() !== '') {
        // The runtime could not start the process: its words, as a create error.
        const error = createError(id, said);
        writeFileAtomic(exitFile, String(error.exitCode ?? 128));
        await hooks.finish();
        throw error;
      }
      writeFileAtomic(exitFile, String(exitCode));
      return hooks.finish();
    },
  };
}

/** Reads the pid the runtime writes once the process runs (for a few seconds at most). */
async function notePid(pidFile: string, found: (pid: number) => void): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const pid = Number(existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : '');
    if (Number.isInteger(pid) && pid > 0) return found(pid);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
