import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError } from '../../errors.js';
import { isAlive } from '../runtime/exit.js';

/**
 * The host's firewall chains are one for every engine on the host (each state root, each
 * process): one engine's teardown of an empty chain must not fall between another's
 * making of the chain and its first rule. This file, outside any state root, is held
 * around each change of the chains.
 */
export const FIREWALL_LOCK = '/run/tscompose-firewall.lock';

const POLL_MS = 10;
const WAIT_MS = 30_000;

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `use` holding the lock file: made exclusively with this process's pid in it, taken
 * over when the pid it names is gone (a holder that was killed), and removed after. Calls
 * from one process queue behind each other first.
 */
export function withHostLock<T>(file: string, use: () => Promise<T>): Promise<T> {
  const run = queue.then(() => holding(file, use));
  queue = run.catch(() => undefined);
  return run;
}

async function holding<T>(file: string, use: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o644 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(readOr(file).trim());
    if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) {
      // Taken over: only if it still names the dead holder, so two waiters do not both.
      if (readOr(file).trim() === String(holder)) rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new RuntimeError(`the firewall lock ${file} has been held by pid ${holder} for 30 s`, {
        hint: `if that process is stuck, end it; the lock is taken over once it is gone`,
      });
    }
    await sleep(POLL_MS);
  }
  try {
    return await use();
  } finally {
    if (readOr(file).trim() === String(process.pid)) rmSync(file, { force: true });
  }
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
