// The cgroup layer on this host's real v1 hierarchies: groups made as runc makes them,
// holding sleep processes of this test's own, read, killed and removed. Every group and
// process is cleaned up by after.each, also when a test fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CGROUP_PARENT,
  cgroupExists,
  cgroupPids,
  containerCgroupPath,
  detectCgroups,
  killCgroup,
  projectCgroupPath,
  readStats,
  removeCgroup,
  type CgroupHost,
} from '../../src/engine/cgroups/index.js';
import { ConflictError, NotFoundError } from '../../src/errors.js';
import { allOf, runningAsRoot, whenMet, type Requirement } from '../helpers/requirements.js';

/** The controllers these tests make groups in; pids and memory are required. */
const CONTROLLERS = ['pids', 'memory', 'cpuacct', 'freezer'];

function v1Controllers(): { requirement: Requirement; host?: CgroupHost } {
  try {
    const host = detectCgroups();
    const missing = ['pids', 'memory'].filter((c) => host.controllers[c] === undefined);
    if (host.version === 'v1' && missing.length === 0) {
      return { requirement: { met: true, detail: 'cgroup v1' }, host };
    }
    const what = host.version === 'v2' ? 'a cgroup v2 host' : `no ${missing.join(', ')} controller`;
    return { requirement: { met: false, reason: `${what}: these tests need v1 pids and memory` } };
  } catch (err) {
    return { requirement: { met: false, reason: `no cgroups: ${(err as Error).message}` } };
  }
}

const found = v1Controllers();
const requirement = allOf(
  runningAsRoot('cgroups are created and joined as root'),
  found.requirement,
);

let project: string;
let children: ChildProcess[];
let createdParents: string[];

whenMet(test, requirement, () => {
  const host = found.host!;
  const mounts = CONTROLLERS.flatMap((c) => host.controllers[c] ?? []);

  test.before.each(() => {
    project = `test-${randomBytes(4).toString('hex')}`;
    children = [];
    createdParents = mounts.filter((m) => !existsSync(path.join(m, CGROUP_PARENT)));
  });

  test.after.each(async () => {
    // A failed test may leave its group frozen, and a frozen process does not die.
    const freezer = host.controllers.freezer;
    const frozen = freezer && path.join(freezer, projectCgroupPath(project));
    if (frozen) for (const dir of groupsUnder(frozen)) thaw(dir);
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    for (const mount of mounts) {
      for (const dir of groupsUnder(path.join(mount, projectCgroupPath(project))).reverse()) {
        rmdirSync(dir);
      }
    }
    for (const mount of createdParents) rmdirIfEmpty(path.join(mount, CGROUP_PARENT));
  });

  /** Makes the group in every controller, as runc would from cgroupsPath. */
  function makeGroup(cgroupPath: string): void {
    for (const mount of mounts) mkdirSync(path.join(mount, cgroupPath), { recursive: true });
  }

  function join(cgroupPath: string, pid: number): void {
    for (const mount of mounts)
      writeFileSync(path.join(mount, cgroupPath, 'cgroup.procs'), `${pid}`);
  }

  /**
   * A shell that waits for a line, then execs sleep: what it does after it was moved into
   * its group (the exec, a new stack and page tables) is charged to that group.
   */
  function spawnWaiting(): ChildProcess {
    const child = spawn('sh', ['-c', 'read line; exec sleep 300'], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  }

  function exitOf(child: ChildProcess): Promise<NodeJS.Signals | null> {
    return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  }

  test('stats and pids of a real group, then kill and removal leave nothing behind', async () => {
    const cgroup = containerCgroupPath(project, 'c1');
    const probe = `${cgroup}/probe`;
    makeGroup(probe);
    writeFileSync(path.join(host.controllers.pids!, cgroup, 'pids.max'), '16');
    writeFileSync(
      path.join(host.controllers.memory!, cgroup, 'memory.limit_in_bytes'),
      `${64 << 20}`,
    );

    const main = spawnWaiting();
    const helper = spawnWaiting();
    join(cgroup, main.pid!);
    join(probe, helper.pid!);
    for (const child of [main, helper]) child.stdin!.end('go\n');
    await execed(main.pid!, 'sleep');
    await execed(helper.pid!, 'sleep');

    assert.equal(
      cgroupPids(host, cgroup),
      [main.pid!, helper.pid!].sort((a, b) => a - b),
    );
    assert.equal(cgroupPids(host, probe), [helper.pid!]);
    const stats = readStats(host, cgroup);
    assert.equal(stats.pids, { current: 2, limit: 16 });
    assert.is(stats.memory.limit, 64 << 20);
    assert.ok(stats.memory.usage > 0, `memory usage ${stats.memory.usage}`);
    assert.ok(stats.cpu.usageNanos > 0, `cpu ${stats.cpu.usageNanos}`);
    assert.is(stats.oomKills, 0);

    // Processes still in it: removal waits, then refuses, and takes nothing away.
    const refused = await removeCgroup(host, cgroup, { timeoutMs: 50 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.instance(refused, ConflictError);
    assert.match((refused as Error).message, String(helper.pid));
    assert.ok(cgroupExists(host, probe));

    const exits = Promise.all([exitOf(main), exitOf(helper)]);
    assert.is(killCgroup(host, cgroup, 'SIGKILL'), 2);
    assert.equal(await exits, ['SIGKILL', 'SIGKILL']);
    assert.equal(cgroupPids(host, cgroup), []);

    await removeCgroup(host, cgroup);
    assert.not.ok(cgroupExists(host, cgroup));
    assert.throws(
      () => readStats(host, cgroup),
      (err: unknown) => err instanceof NotFoundError,
    );
    for (const mount of mounts) {
      assert.not.ok(existsSync(path.join(mount, cgroup)), mount);
      assert.ok(existsSync(path.join(mount, projectCgroupPath(project))), mount);
    }

    await removeCgroup(host, projectCgroupPath(project));
    for (const mount of mounts) {
      assert.not.ok(existsSync(path.join(mount, projectCgroupPath(project))), mount);
    }
    await removeCgroup(host, projectCgroupPath(project));
  });

  test('a stop signal reaches every process, through the freezer where there is one', async () => {
    const cgroup = containerCgroupPath(project, 'c2');
    makeGroup(cgroup);
    const child = spawnWaiting();
    join(cgroup, child.pid!);
    const exit = exitOf(child);

    assert.is(killCgroup(host, cgroup, 'SIGTERM'), 1);
    assert.is(await exit, 'SIGTERM');
    const freezer = host.controllers.freezer;
    if (freezer) {
      const state = readFileSync(path.join(freezer, cgroup, 'freezer.state'), 'utf8');
      assert.is(state.trim(), 'THAWED');
    }
    await removeCgroup(host, projectCgroupPath(project));
    assert.not.ok(cgroupExists(host, cgroup));
  });
});

/**
 * Waits until the process runs `command`. No event says an exec finished; /proc does,
 * so this reads it again, for at most five seconds.
 */
async function execed(pid: number, command: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== command) {
    if (Date.now() > deadline) throw new Error(`process ${pid} did not exec ${command}`);
    await delay(5);
  }
}

/** `dir` and the groups below it, parents first; none if it does not exist. */
function groupsUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const children = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
  return [dir, ...children.flatMap((child) => groupsUnder(path.join(dir, child.name)))];
}

function thaw(dir: string): void {
  writeFileSync(path.join(dir, 'freezer.state'), 'THAWED');
}

function rmdirIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    // Another project's groups may have appeared under the shared parent meanwhile.
    if ((err as NodeJS.ErrnoException).code !== 'EBUSY') throw err;
  }
}

test.run();
