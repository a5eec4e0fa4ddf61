// What the benches that start processes, stacks and a private dockerd share: looking at
// the host's processes and cgroups, and undoing what a bench made, also on Ctrl+C.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}

/** Keepers started by a bench's CLI: `root` (its TSCOMPOSE_ROOT) is in their environment. */
export function keepersOf(root) {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
        return cmdline.includes('keeper') && environ.includes(`TSCOMPOSE_ROOT=${root}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The cgroup `name` under each controller that has it. */
export function cgroupDirs(name) {
  return readdirSync('/sys/fs/cgroup')
    .map((controller) => path.join('/sys/fs/cgroup', controller, name))
    .filter((dir) => existsSync(dir));
}

/** A cgroup tree, deepest first: cgroup directories go with rmdir only. */
export function rmTree(dir) {
  for (const child of readdirSync(dir, { withFileTypes: true })) {
    if (child.isDirectory()) rmTree(path.join(dir, child.name));
  }
  try {
    rmdirSync(dir);
  } catch {
    console.error(`left behind: ${dir}`);
  }
}

/**
 * What a bench made, undone newest first by `undo.cleanUp()` or when the process exits
 * (Ctrl+C included); synchronous, so that it runs from the exit handler too.
 */
export function undoStack() {
  const undo = [];
  undo.cleanUp = () => {
    while (undo.length > 0) {
      const { what, step } = undo.pop();
      try {
        step();
      } catch (error) {
        console.error(`clean-up: ${what}: ${error.message}`);
      }
    }
  };
  process.on('exit', undo.cleanUp);
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
  return undo;
}

/**
 * A private dockerd stopped by its pid (SIGTERM, then SIGKILL after 20 s), the containerd
 * it started too if it could not, its directory removed (`remove` unmounts first), and the
 * /run directories it made that are empty again.
 */
export function stopDaemon(child, dir, created, remove) {
  if (child.exitCode === null && child.signalCode === null) {
    process.kill(child.pid, 'SIGTERM');
    const deadline = Date.now() + 20_000;
    while (isAlive(child.pid) && Date.now() < deadline) spawnSync('sleep', ['0.1']);
    if (isAlive(child.pid)) process.kill(child.pid, 'SIGKILL');
  }
  const containerd = path.join(dir, 'exec/containerd/containerd.pid');
  if (existsSync(containerd)) {
    const pid = Number(readFileSync(containerd, 'utf8'));
    if (pid > 0 && isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  remove(dir);
  for (const made of [...created].reverse()) {
    try {
      rmdirSync(made);
    } catch {
      // not empty: someone else's by now, left alone
    }
  }
}
