/**
 * Runnable OCI bundles for the runtime driver's tests: a busybox image bootstrapped from
 * the host's static busybox, an overlay of its snapshot (plus an upper and a work
 * directory) on `<bundle>/rootfs`, and a minimal hand-written config.json. Everything a
 * bundle makes (its runc state, mount, directories, cgroups) is undone by `dispose`, also
 * when the test failed; it only kills the conmon it started, by the pid in its pid file.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bootstrapBusybox } from '../../src/engine/image/bootstrap.js';
import { mountOverlay, unmount } from '../../src/engine/snapshot/overlay.js';
import { Snapshotter } from '../../src/engine/snapshot/snapshotter.js';
import { testEngine, type TestEngine } from './engine.js';

export interface BusyboxImage {
  /** Top layer first, for the overlay. */
  lowerDirs: string[];
  dispose: () => void;
}

/** A busybox image in a throw-away engine, unpacked into snapshots. */
export async function busyboxImage(): Promise<BusyboxImage> {
  const t: TestEngine = testEngine('tscompose-runtime-');
  try {
    const image = await bootstrapBusybox(t.engine, 'busybox:test');
    const prepared = await new Snapshotter(t.engine).prepare(image.manifestDigest);
    return { lowerDirs: prepared.lowerDirs, dispose: t.dispose };
  } catch (error) {
    t.dispose();
    throw error;
  }
}

export interface BundleOptions {
  args: string[];
  env?: string[];
  /** The container ID; random by default. */
  id?: string;
}

export interface TestBundle {
  id: string;
  /** The bundle directory: config.json and rootfs. */
  bundle: string;
  /** runc's --root for this bundle alone, so a leak shows in `runc --root … list`. */
  runtimeRoot: string;
  logPath: string;
  exitDir: string;
  persistDir: string;
  pidFile: string;
  conmonPidFile: string;
  /** The cgroup parent, relative to each controller's root: `tscompose/test-<rand>`. */
  cgroupParent: string;
  dispose: () => Promise<void>;
}

const RUNC = '/usr/sbin/runc';
const CGROUP_ROOT = '/sys/fs/cgroup';

export async function makeBundle(image: BusyboxImage, options: BundleOptions): Promise<TestBundle> {
  const id = options.id ?? `t${randomBytes(6).toString('hex')}`;
  const work = mkdtempSync(path.join(tmpdir(), 'tscompose-bundle-'));
  const dirs = {
    bundle: path.join(work, 'bundle'),
    rootfs: path.join(work, 'bundle', 'rootfs'),
    upper: path.join(work, 'upper'),
    overlayWork: path.join(work, 'work'),
    runtimeRoot: path.join(work, 'runc'),
    persistDir: path.join(work, 'persist'),
    exitDir: path.join(work, 'exits'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const cgroupParent = `tscompose/test-${randomBytes(4).toString('hex')}`;

  const bundle: TestBundle = {
    id,
    bundle: dirs.bundle,
    runtimeRoot: dirs.runtimeRoot,
    logPath: path.join(work, 'ctr.log'),
    exitDir: dirs.exitDir,
    persistDir: dirs.persistDir,
    pidFile: path.join(work, 'pid'),
    conmonPidFile: path.join(work, 'conmon.pid'),
    cgroupParent,
    dispose: () => disposeBundle(bundle, work, dirs.rootfs),
  };
  try {
    await mountOverlay({
      lowerDirs: image.lowerDirs,
      upperDir: dirs.upper,
      workDir: dirs.overlayWork,
      target: dirs.rootfs,
      source: 'tscompose-test',
    });
    const config = ociConfig(options, `/${cgroupParent}/${id}`);
    writeFileSync(path.join(dirs.bundle, 'config.json'), JSON.stringify(config, null, 2));
  } catch (error) {
    await bundle.dispose();
    throw error;
  }
  return bundle;
}

function ociConfig(options: BundleOptions, cgroupsPath: string) {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: options.args,
      env: options.env ?? ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: '/',
    },
    root: { path: 'rootfs', readonly: false },
    hostname: 'runtime-test',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
      },
      {
        destination: '/sys',
        type: 'sysfs',
        source: 'sysfs',
        options: ['nosuid', 'noexec', 'nodev', 'ro'],
      },
    ],
    linux: {
      namespaces: ['pid', 'ipc', 'uts', 'mount', 'network'].map((type) => ({ type })),
      cgroupsPath,
    },
  };
}

async function disposeBundle(bundle: TestBundle, work: string, rootfs: string): Promise<void> {
  const root = ['--root', bundle.runtimeRoot];
  spawnSync(RUNC, [...root, 'delete', '--force', bundle.id], { stdio: 'ignore' });
  killConmon(bundle.conmonPidFile);
  await unmount(rootfs);
  removeCgroups(bundle.cgroupParent);
  rmSync(work, { recursive: true, force: true });
}

/** The conmon this bundle started, if it still runs: it exits once its container is gone. */
function killConmon(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone: the usual case once runc delete has removed the container.
  }
}

/** rmdir, depth first, in every v1 controller (and the unified tree) that has the parent. */
function removeCgroups(parent: string): void {
  if (!existsSync(CGROUP_ROOT)) return;
  for (const controller of readdirSync(CGROUP_ROOT)) {
    const dir = path.join(CGROUP_ROOT, controller, parent);
    if (existsSync(dir)) removeTree(dir);
    // The shared `tscompose` level goes too when no other test uses it.
    tryRmdir(path.dirname(dir));
  }
}

function removeTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeTree(path.join(dir, entry.name));
  }
  tryRmdir(dir);
}

function tryRmdir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty (another test's cgroup), still busy, or not there.
  }
}
