import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeError } from '../errors.js';
import type { EnginePaths } from '../engine/engine.js';
import { isAlive } from '../engine/runtime/exit.js';
import { controlRequest, keeperPaths } from '../stack/control.js';

const ENTRY = fileURLToPath(new URL('../../bin/tscompose.js', import.meta.url));
/** The keeper says it listens by writing to this descriptor, as conmon does on its sync pipe. */
export const READY_FD = 3;

/**
 * Makes sure the project has a keeper: asks the one that runs to look again, or starts one
 * (detached, logging to a file under the root) and waits until it listens.
 */
export async function ensureKeeper(paths: EnginePaths, project: string): Promise<number> {
  const files = keeperPaths(paths.run, project);
  const reply = await controlRequest(files.socket, { op: 'reload' });
  if (reply?.ok && reply.pid) return reply.pid;

  mkdirSync(path.join(paths.containers, '..', 'keepers'), { recursive: true });
  const log = openSync(path.join(paths.containers, '..', 'keepers', `${project}.log`), 'a');
  const child = spawn(process.execPath, [ENTRY, '-p', project, 'keeper'], {
    detached: true,
    stdio: ['ignore', log, log, 'pipe'],
    env: { ...process.env, TSCOMPOSE_KEEPER_READY_FD: String(READY_FD) },
  });
  closeSync(log);
  const ready = child.stdio[READY_FD] as NodeJS.ReadableStream;
  const started = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    let text = '';
    ready.setEncoding('utf8');
    ready.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('ready')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    ready.on('end', () => {
      clearTimeout(timer);
      resolve(text.includes('ready'));
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  (ready as unknown as { destroy: () => void }).destroy();
  child.unref();
  if (!started) {
    throw new RuntimeError(`the keeper of ${project} did not start`, {
      hint: `see ${path.join(paths.containers, '..', 'keepers', `${project}.log`)}`,
    });
  }
  return child.pid!;
}

/** Asks the project's keeper to leave, and waits (a few seconds at most) until it has. */
export async function stopKeeper(paths: EnginePaths, project: string): Promise<void> {
  const files = keeperPaths(paths.run, project);
  const pid = readPid(files.pid);
  const reply = await controlRequest(files.socket, { op: 'stop' });
  if (!reply?.ok || pid === undefined) return;
  const deadline = Date.now() + 5000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** The pid of the project's keeper, if one is recorded and alive. */
export function keeperPid(paths: EnginePaths, project: string): number | undefined {
  const pid = readPid(keeperPaths(paths.run, project).pid);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
