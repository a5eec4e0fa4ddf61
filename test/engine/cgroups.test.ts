// The cgroup layer over recorded cgroup files: detection from mount tables of v1, hybrid
// and v2 hosts, stats of both versions, the processes of a subtree, and killing and
// removal on copies of the recorded trees (signals only ever reach this test's children).
import { spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  cgroupExists,
  cgroupPids,
  containerCgroupPath,
  cpuPercent,
  detectCgroups,
  killCgroup,
  projectCgroupPath,
  readStats,
  removeCgroup,
  type CgroupHost,
} from '../../src/engine/cgroups/index.js';
import { InvalidError, NotFoundError, UnsupportedError } from '../../src/errors.js';

const fixtures = fileURLToPath(new URL('./fixtures/cgroups/', import.meta.url));
const mountinfo = (name: string) => readFileSync(path.join(fixtures, 'mountinfo', name), 'utf8');

/** A v1 host whose hierarchies are the recorded ones under `root`, cpu and cpuacct together. */
function v1Host(root: string, controllers = ['memory', 'cpu,cpuacct', 'pids', 'freezer']) {
  const host: CgroupHost = { version: 'v1', hybrid: true, root, controllers: {} };
  for (const mount of controllers) {
    for (const name of mount.split(',')) host.controllers[name] = path.join(root, mount);
  }
  return host;
}

function v2Host(root: string): CgroupHost {
  return { version: 'v2', hybrid: false, root, controllers: {}, unified: root };
}

const WEB = containerCgroupPath('demo', 'web');
const WORKER = containerCgroupPath('demo', 'worker');
const GONE = containerCgroupPath('demo', 'gone');

let work: string;
let children: ChildProcess[];
test.before.each(() => {
  work = mkdtempSync(path.join(tmpdir(), 'tscompose-cgroups-'));
  children = [];
});
test.after.each(async () => {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

/** A `sleep` of this test's own: the only kind of pid a fake cgroup.procs may name. */
function sleeper(): { child: ChildProcess; pid: number; exited: Promise<NodeJS.Signals | null> } {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  children.push(child);
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  return { child, pid: child.pid!, exited };
}

// ---------------------------------------------------------------- detection

test('detects a pure v1 host: co-mounted controllers share a directory, binds elsewhere are ignored', () => {
  const host = detectCgroups({ mountinfo: mountinfo('v1.txt') });
  assert.equal(host.version, 'v1');
  assert.is(host.hybrid, false);
  assert.is(host.root, '/sys/fs/cgroup');
  assert.is(host.unified, undefined);
  assert.equal(host.controllers, {
    'name=systemd': '/sys/fs/cgroup/systemd',
    net_prio: '/sys/fs/cgroup/net_cls,net_prio',
    net_cls: '/sys/fs/cgroup/net_cls,net_prio',
    cpuacct: '/sys/fs/cgroup/cpu,cpuacct',
    cpu: '/sys/fs/cgroup/cpu,cpuacct',
    memory: '/sys/fs/cgroup/memory',
    pids: '/sys/fs/cgroup/pids',
    freezer: '/sys/fs/cgroup/freezer',
    blkio: '/sys/fs/cgroup/blkio',
    devices: '/sys/fs/cgroup/devices',
    cpuset: '/sys/fs/cgroup/cpuset',
    hugetlb: '/sys/fs/cgroup/hugetlb',
    perf_event: '/sys/fs/cgroup/perf_event',
  });
});

test('detects a hybrid host: the controllers are v1, cgroup2 is the unified mount', () => {
  const host = detectCgroups({ mountinfo: mountinfo('hybrid.txt') });
  assert.equal(host.version, 'v1');
  assert.is(host.hybrid, true);
  assert.is(host.root, '/sys/fs/cgroup');
  assert.is(host.unified, '/sys/fs/cgroup/unified');
  assert.is(host.controllers.cpu, '/sys/fs/cgroup/cpu,cpuacct');
  assert.is(host.controllers.rdma, '/sys/fs/cgroup/rdma');
  assert.is(host.controllers.unified, undefined);
});

test('detects a hybrid host with cpu and cpuacct mounted apart, as on this project’s machines', () => {
  const host = detectCgroups({ mountinfo: mountinfo('hybrid-apart.txt') });
  assert.equal([host.version, host.hybrid], ['v1', true]);
  assert.is(host.controllers.cpu, '/sys/fs/cgroup/cpu');
  assert.is(host.controllers.cpuacct, '/sys/fs/cgroup/cpuacct');
  assert.is(host.controllers['name=systemd'], '/sys/fs/cgroup/systemd');
});

test('detects a pure v2 host: its root is the cgroup2 mount, no v1 controllers', () => {
  const host = detectCgroups({ mountinfo: mountinfo('v2.txt') });
  assert.equal(host, {
    version: 'v2',
    hybrid: false,
    root: '/sys/fs/cgroup',
    controllers: {},
    unified: '/sys/fs/cgroup',
  });
});

test('detection takes the root as a parameter and unescapes mount paths', () => {
  const text = '40 1 0:38 / /srv/cg\\040root rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n';
  const host = detectCgroups({ root: '/srv/cg root', mountinfo: text });
  assert.equal([host.version, host.root], ['v2', '/srv/cg root']);
});

test('a host with no cgroup mount is unsupported, with a hint', () => {
  const err = catchError(() => detectCgroups({ mountinfo: mountinfo('none.txt') }));
  assert.instance(err, UnsupportedError);
  assert.match((err as UnsupportedError).hint ?? '', 'mount -t cgroup2');
});

// ---------------------------------------------------------------- paths

test('cgroup paths are absolute cgroupfs paths under /tscompose', () => {
  assert.is(projectCgroupPath('demo'), '/tscompose/demo');
  assert.is(containerCgroupPath('my_app-2', 'a1b2c3'), '/tscompose/my_app-2/a1b2c3');
});

test('cgroup paths refuse names that could leave their parent or that compose refuses', () => {
  for (const project of ['Demo', '../etc', 'a/b', '', '-x', 'a b', 'x'.repeat(256)]) {
    assert.throws(() => projectCgroupPath(project), isA(InvalidError), project);
  }
  for (const id of ['..', '.', 'a/b', '', '.hidden', 'x'.repeat(256)]) {
    assert.throws(() => containerCgroupPath('demo', id), isA(InvalidError), id);
  }
});

// ---------------------------------------------------------------- stats

test('v1 stats: usage less inactive file cache, limits, cpuacct time, pids and OOM kills', () => {
  const stats = readStats(v1Host(path.join(fixtures, 'v1')), WEB);
  assert.equal(stats, {
    memory: { usage: 73728000 - 24576000, limit: 536870912, cache: 31457280 },
    cpu: { usageNanos: 15234876123 },
    pids: { current: 7, limit: 64 },
    oomKills: 3,
  });
});

test('v1 stats: the huge unlimited value reads as no limit; a kernel before 4.13 counts no OOM kills', () => {
  const stats = readStats(v1Host(path.join(fixtures, 'v1')), WORKER);
  assert.equal(stats, {
    memory: { usage: 10387456 - 3686400, limit: null, cache: 4096000 },
    cpu: { usageNanos: 612004882 },
    pids: { current: 1, limit: null },
    oomKills: 0,
  });
});

test('v1 stats: a controller the host lacks reads as zero, not as an error', () => {
  const stats = readStats(v1Host(path.join(fixtures, 'v1'), ['memory']), WEB);
  assert.equal(stats.pids, { current: 0, limit: null });
  assert.is(stats.cpu.usageNanos, 0);
  assert.is(stats.memory.usage, 49152000);
});

test('v2 stats: memory.current less inactive_file, usage_usec in nanoseconds, memory.events', () => {
  const stats = readStats(v2Host(path.join(fixtures, 'v2')), WEB);
  assert.equal(stats, {
    memory: { usage: 52166656 - 20480000, limit: 268435456, cache: 30572544 },
    cpu: { usageNanos: 8421337 * 1000 },
    pids: { current: 7, limit: 100 },
    oomKills: 2,
  });
});

test('v2 stats: `max` is no limit; a controller not enabled for the group reads as zero', () => {
  const stats = readStats(v2Host(path.join(fixtures, 'v2')), WORKER);
  assert.equal(stats, {
    memory: { usage: 9502720 - 3612672, limit: null, cache: 3809280 },
    cpu: { usageNanos: 402118 * 1000 },
    pids: { current: 0, limit: null },
    oomKills: 0,
  });
});

test('usage is not made negative when inactive file cache exceeds it', () => {
  const dir = path.join(work, 'tscompose', 'demo', 'web');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'memory.current'), '4096\n');
  writeFileSync(path.join(dir, 'memory.stat'), 'file 8192\ninactive_file 8192\n');
  assert.is(readStats(v2Host(work), WEB).memory.usage, 4096);
});

test('stats of a group that is gone are not found, in v1 and v2', () => {
  for (const host of [v1Host(path.join(fixtures, 'v1')), v2Host(path.join(fixtures, 'v2'))]) {
    assert.throws(() => readStats(host, GONE), isA(NotFoundError), host.version);
    assert.is(cgroupExists(host, GONE), false);
    assert.is(cgroupExists(host, WEB), true);
  }
});

test('unreadable contents are a runtime error that names the file', () => {
  const dir = path.join(work, 'tscompose', 'demo', 'web');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'memory.current'), 'lots\n');
  assert.throws(() => readStats(v2Host(work), WEB), /memory\.current: "lots"/);
});

// ---------------------------------------------------------------- processes

test('v1 pids: cgroup.procs of the group and its children, not the threads in tasks', () => {
  const host = v1Host(path.join(fixtures, 'v1'));
  assert.equal(cgroupPids(host, WEB), [51002, 51033, 51034, 51040, 51090]);
  assert.equal(cgroupPids(host, WORKER), [51200]);
  assert.equal(cgroupPids(host, GONE), []);
});

test('v2 pids: cgroup.procs of the group and its children', () => {
  const host = v2Host(path.join(fixtures, 'v2'));
  assert.equal(cgroupPids(host, WEB), [48211, 48240, 48241, 48242, 48250, 48251, 48377]);
  assert.equal(cgroupPids(host, GONE), []);
});

// ---------------------------------------------------------------- killing

/** A copy of the recorded v2 web group whose processes are this test's sleepers. */
function v2Copy(pids: number[], probePids: number[]): string {
  const root = path.join(work, 'v2');
  cpSync(path.join(fixtures, 'v2'), root, { recursive: true });
  const dir = path.join(root, WEB);
  writeFileSync(path.join(dir, 'cgroup.procs'), pids.map((pid) => `${pid}\n`).join(''));
  writeFileSync(path.join(dir, 'probe', 'cgroup.procs'), probePids.map((p) => `${p}\n`).join(''));
  // What the kernel reports once a write to cgroup.freeze has taken effect.
  writeFileSync(path.join(dir, 'cgroup.events'), 'populated 1\nfrozen 1\n');
  return root;
}

test('v2 SIGKILL writes cgroup.kill once instead of signalling each process', () => {
  const [a, b] = [sleeper(), sleeper()];
  const root = v2Copy([a.pid], [b.pid]);
  assert.is(killCgroup(v2Host(root), WEB, 'SIGKILL'), 2);
  assert.is(readFileSync(path.join(root, WEB, 'cgroup.kill'), 'utf8'), '1');
  // Only the kernel acts on cgroup.kill: in a copy, nothing was signalled.
  assert.is(a.child.signalCode, null);
  assert.is(process.kill(a.pid, 0), true);
});

test('v2 without cgroup.kill signals each process of the subtree, frozen meanwhile', async () => {
  const [a, b] = [sleeper(), sleeper()];
  const root = v2Copy([a.pid], [b.pid]);
  rmSync(path.join(root, WEB, 'cgroup.kill'));
  assert.is(killCgroup(v2Host(root), WEB, 'SIGTERM'), 2);
  assert.equal(await Promise.all([a.exited, b.exited]), ['SIGTERM', 'SIGTERM']);
  assert.is(readFileSync(path.join(root, WEB, 'cgroup.freeze'), 'utf8'), '0');
});

test('v1 signals each process under the freezer and thaws it afterwards', async () => {
  const a = sleeper();
  const root = path.join(work, 'v1');
  cpSync(path.join(fixtures, 'v1'), root, { recursive: true });
  for (const controller of ['pids', 'memory', 'freezer']) {
    writeFileSync(path.join(root, controller, WEB, 'cgroup.procs'), `${a.pid}\n`);
    writeFileSync(path.join(root, controller, WEB, 'probe', 'cgroup.procs'), '');
  }
  assert.is(killCgroup(v1Host(root), WEB, 'SIGINT'), 1);
  assert.is(await a.exited, 'SIGINT');
  assert.is(readFileSync(path.join(root, 'freezer', WEB, 'freezer.state'), 'utf8'), 'THAWED');
});

test('killing never signals the calling process, and an empty group is zero', () => {
  const root = v2Copy([process.pid], []);
  const received: string[] = [];
  const onSignal = () => received.push('SIGUSR2');
  process.on('SIGUSR2', onSignal);
  try {
    assert.is(killCgroup(v2Host(root), WEB, 'SIGUSR2'), 0);
    assert.is(killCgroup(v2Host(root), GONE, 'SIGKILL'), 0);
  } finally {
    setImmediate(() => process.off('SIGUSR2', onSignal));
  }
});

test('killing and removal refuse groups outside /tscompose/', async () => {
  const host = v2Host(path.join(work, 'v2'));
  for (const bad of [
    '/system.slice/sshd.service',
    '/tscompose',
    '/tscompose/../init.scope',
    'tscompose/x',
    '/',
  ]) {
    assert.throws(() => killCgroup(host, bad, 'SIGKILL'), isA(InvalidError), bad);
    const err = await removeCgroup(host, bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(err, InvalidError, bad);
  }
});

// ---------------------------------------------------------------- removal

test('removal takes the whole subtree, deepest first, in every v1 hierarchy; missing is fine', async () => {
  const root = path.join(work, 'v1');
  const host = v1Host(root, ['memory', 'cpu,cpuacct', 'pids', 'name=systemd']);
  // Plain directories stand in for cgroups: like cgroups, they can be removed only empty.
  for (const mount of ['memory', 'cpu,cpuacct', 'pids', 'name=systemd']) {
    mkdirSync(path.join(root, mount, WEB, 'probe'), { recursive: true });
    mkdirSync(path.join(root, mount, WORKER), { recursive: true });
  }
  await removeCgroup(host, WEB);
  for (const mount of ['memory', 'cpu,cpuacct', 'pids', 'name=systemd']) {
    assert.not.ok(existsSync(path.join(root, mount, WEB)), mount);
    assert.ok(existsSync(path.join(root, mount, WORKER)), mount);
  }
  await removeCgroup(host, projectCgroupPath('demo'));
  for (const mount of ['memory', 'cpu,cpuacct', 'pids', 'name=systemd']) {
    assert.not.ok(existsSync(path.join(root, mount, 'tscompose', 'demo')), mount);
    assert.ok(existsSync(path.join(root, mount, 'tscompose')), `${mount}: the shared parent stays`);
  }
  await removeCgroup(host, projectCgroupPath('demo'));
});

test('removal in v2 takes the one directory of the group', async () => {
  mkdirSync(path.join(work, WEB, 'probe'), { recursive: true });
  await removeCgroup(v2Host(work), WEB);
  assert.not.ok(existsSync(path.join(work, WEB)));
  assert.ok(existsSync(path.join(work, projectCgroupPath('demo'))));
});

// ---------------------------------------------------------------- cpu

test('cpu percent is container time over wall time, across cores, as docker stats shows it', () => {
  assert.is(cpuPercent({ usageNanos: 0, at: 1000 }, { usageNanos: 5e8, at: 2000 }), 50);
  assert.is(cpuPercent({ usageNanos: 1e9, at: 0 }, { usageNanos: 4e9, at: 1500 }), 200);
  assert.is(cpuPercent({ usageNanos: 9e9, at: 0 }, { usageNanos: 1e9, at: 1000 }), 0, 'reset');
  assert.is(cpuPercent({ usageNanos: 0, at: 1000 }, { usageNanos: 1e9, at: 1000 }), 0, 'no time');
});

/** uvu's `throws` takes a predicate, not a class. */
function isA(kind: new (...args: never[]) => Error): (err: unknown) => boolean {
  return (err) => err instanceof kind;
}

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

test.run();
