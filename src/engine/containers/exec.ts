import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConflictError } from '../../errors.js';
import { execSpec, type ExecProcess } from '../runtime/runc-exec.js';
import { ociProcessJson, parseOciProcess } from '../runtime/spec/index.js';
import { readUserDatabase, resolveUser } from '../runtime/spec/user.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { ContainerPaths } from './paths.js';
import type { ContainerRecord } from './records.js';

/** What an exec may change of the container's own process. */
export interface ExecWanted {
  /** `name|uid[:group|gid]`, resolved in the container's own /etc/passwd and /etc/group. */
  user?: string;
  cwd?: string;
  /** Laid over the container's own environment. */
  env?: Record<string, string>;
  /** Every capability (a `privileged` lifecycle hook). */
  privileged?: boolean;
}

export function requireRunning(record: ContainerRecord): void {
  if (record.state !== 'running') {
    throw new ConflictError(`container ${record.name} is not running`, {
      hint: 'start it first: tscompose start',
    });
  }
}

/** The exec's process over the container's: its env, cwd and user unless told otherwise. */
export function execProcess(
  paths: ContainerPaths,
  args: string[],
  wanted: ExecWanted,
): ExecProcess {
  const extra = Object.entries(wanted.env ?? {}).map(([key, value]) => `${key}=${value}`);
  const env =
    extra.length > 0
      ? [...parseOciProcess(readFileSync(paths.config, 'utf8')).env, ...extra]
      : undefined;
  return {
    args,
    env,
    cwd: wanted.cwd,
    user: wanted.user ? userIn(paths.rootfs, wanted.user) : undefined,
    privileged: wanted.privileged,
  };
}

/** The process file of an interactive exec, in the bundle; the caller removes it after. */
export function writeExecFile(paths: ContainerPaths, process: ExecProcess, tty: boolean): string {
  const main = parseOciProcess(readFileSync(paths.config, 'utf8'));
  const file = `${paths.bundle}/exec-${randomBytes(6).toString('hex')}.json`;
  writeFileAtomic(file, ociProcessJson({ ...execSpec(main, process), terminal: tty }));
  return file;
}

function userIn(rootfs: string, user: string) {
  const resolved = resolveUser(user, [], readUserDatabase(rootfs));
  return { uid: resolved.uid, gid: resolved.gid, additionalGids: resolved.additionalGids };
}
