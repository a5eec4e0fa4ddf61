/**
 * A throw-away stack for one test: a project directory with a compose file, an engine
 * root of its own with a busybox image, a project name no other test uses, and a clean-up
 * that brings it down and then checks (and removes) whatever it left, also when the test
 * failed.
 */
import { execFileSync } from 'node:child_process';
import type { Dirent } from 'node:fs';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { bootstrapBusybox } from '../../src/engine/image/bootstrap.js';
import { Engine } from '../../src/engine/engine.js';
import { runCli, type CliResult } from './cli.js';
import { allOf, commandRuns, runningAsRoot, type Requirement } from './requirements.js';

/** What running containers needs from the machine. */
export const containersRequirement: Requirement = allOf(
  runningAsRoot('containers need namespaces, mounts and cgroups'),
  commandRuns('runc', ['--version'], 'the OCI runtime (apt-get install runc)'),
  commandRuns('conmon', ['--version'], 'the container monitor (apt-get install conmon)'),
  commandRuns('busybox', ['true'], 'the test image is made from busybox-static'),
);

export interface TestStack {
  dir: string;
  project: string;
  env: Record<string, string>;
  root: string;
  cli: (args: string[]) => Promise<CliResult>;
  /** Writes compose.yaml (the project's name is set by `-p`, not in the file). */
  compose: (text: string) => void;
  /** A command's stdout, failing with its stderr when it exits non-zero. */
  ok: (args: string[]) => Promise<string>;
  dispose: () => Promise<string[]>;
}

export async function testStack(): Promise<TestStack> {
  const base = mkdtempSync(path.join(tmpdir(), 'tscompose-stack-'));
  const dir = path.join(base, 'project');
  mkdirSync(dir);
  const root = path.join(base, 'lib');
  const runRoot = path.join(base, 'run');
  const engine = Engine.open({ root, runRoot });
  try {
    await bootstrapBusybox(engine, 'busybox:latest');
  } finally {
    engine.close();
  }
  const project = `t${randomBytes(4).toString('hex')}`;
  const networkBefore = new Set(networkState());
  const env = { TSCOMPOSE_ROOT: root, TSCOMPOSE_RUN_ROOT: runRoot };
  const cli = (args: string[]) => runCli(['-p', project, ...args], { cwd: dir, env });
  const ok = async (args: string[]) => {
    const result = await cli(args);
    if (result.code !== 0) {
      throw new Error(`tscompose ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    }
    return result.stdout;
  };
  return {
    dir,
    project,
    env,
    root,
    cli,
    ok,
    compose: (text) => writeFileSync(path.join(dir, 'compose.yaml'), text),
    dispose: async () => {
      if (existsSync(path.join(dir, 'compose.yaml')))
        await cli(['down', '-t', '0', '--remove-orphans']);
      const left = leftovers(project, base);
      // Tests run one at a time: any bridge, namespace or rule that was not there is ours.
      for (const item of networkState()) if (!networkBefore.has(item)) left.push(item);
      forceClean(project, base);
      rmSync(base, { recursive: true, force: true });
      return left;
    },
  };
}

/** The engine's bridges, namespaces and firewall rules (IPv4 and IPv6) on the host, one string each. */
export function networkState(): string[] {
  const run = (command: string, args: string[]) => {
    try {
      return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return '';
    }
  };
  const links = run('ip', ['-o', 'link', 'show'])
    .split('\n')
    .map((line) => /^\d+: ([^:@]+)/.exec(line)?.[1])
    .filter((name): name is string => Boolean(name?.startsWith('tsc')))
    .map((name) => `link ${name}`);
  const namespaces = run('ip', ['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter((name) => name.startsWith('tsc-'))
    .map((name) => `netns ${name}`);
  const rules = ['iptables', 'ip6tables'].flatMap((command) =>
    ['filter', 'nat'].flatMap((table) =>
      run(command, ['-w', '-t', table, '-S'])
        .split('\n')
        .filter((line) => /tsc-|TSCOMPOSE/.test(line) && line.startsWith('-A'))
        .map((line) => `${command === 'iptables' ? 'rule' : 'rule6'} ${table} ${line}`),
    ),
  );
  return [...links, ...namespaces, ...rules];
}

/** Whatever of the project is still on the host: mounts, cgroups, processes. */
export function leftovers(project: string, base: string): string[] {
  const found: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const point = line.split(' ')[4] ?? '';
    if (point.startsWith(base)) found.push(`mount ${point}`);
  }
  for (const dir of cgroupDirs(project)) found.push(`cgroup ${dir}`);
  const pid = keeperPidOf(project, base);
  if (pid !== undefined) found.push(`keeper ${pid}`);
  return found;
}

/** The project's keeper, if its pid file names a live process. */
function keeperPidOf(project: string, base: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(base, 'run', 'keepers', `${project}.pid`), 'utf8'));
    process.kill(pid, 0);
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) ? undefined : pid;
  } catch {
    return undefined;
  }
}

function cgroupDirs(project: string): string[] {
  const dirs: string[] = [];
  for (const controller of safeReaddir('/sys/fs/cgroup')) {
    const dir = path.join('/sys/fs/cgroup', controller, 'tscompose', project);
    if (existsSync(dir)) dirs.push(dir);
  }
  return dirs;
}

/** Last resort after a failed test: unmount and remove what `down` did not. */
function forceClean(project: string, base: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(base))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) {
    try {
      execFileSync('umount', ['-l', point]);
    } catch {
      // Already gone: what matters is that nothing stays mounted.
    }
  }
  const keeper = keeperPidOf(project, base);
  // Ours: the test's own keeper, found by the pid file in the test's own root.
  if (keeper !== undefined) process.kill(keeper, 'SIGKILL');
  for (const dir of cgroupDirs(project)) removeTree(dir);
}

function removeTree(dir: string): void {
  for (const entry of safeReaddir(dir, true)) {
    if (entry.isDirectory()) removeTree(path.join(dir, entry.name));
  }
  const procs = path.join(dir, 'cgroup.procs');
  if (existsSync(procs)) {
    for (const pid of readFileSync(procs, 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Exited on its own.
      }
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    // A process still dying holds it; it is reported as a leftover all the same.
  }
}

function safeReaddir(dir: string): string[];
function safeReaddir(dir: string, withTypes: true): Dirent[];
function safeReaddir(dir: string, withTypes?: true) {
  try {
    return withTypes ? readdirSync(dir, { withFileTypes: true }) : readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * One stack per test of a suite: `stack(compose)` makes it, and after each test it is
 * brought down and the test fails if anything of it was left on the host.
 */
export function stacksFor(test: Test): (compose: string) => Promise<TestStack> {
  let current: TestStack | undefined;
  test.after.each(async () => {
    const left = await current?.dispose();
    current = undefined;
    assert.equal(left ?? [], [], 'nothing of the stack is left behind');
  });
  return async (compose) => {
    current = await testStack();
    current.compose(compose);
    return current;
  };
}
