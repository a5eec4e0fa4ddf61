/**
 * A private Docker daemon for one test file: its own data root, exec root, socket, pid
 * file and config, so it never touches the host's /var/lib/docker, /var/run/docker.sock,
 * /etc/docker (its config file and key path point into the temp dir), iptables or
 * ip_forward (empty /run/docker/plugins, which dockerd 20.10 always creates, is removed
 * again if it was not there before), and never joins a system containerd (none is running where the tests run:
 * `start` refuses if /run/containerd/containerd.sock exists, since dockerd would use it).
 * `stop` signals the daemon by its pid only, waits, then unmounts anything left under
 * the temp dir and removes it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { mountsUnder, unmountAndRemove } from '../../src/engine/image/bootstrap/mounts.js';

const run = promisify(execFile);
const SYSTEM_CONTAINERD = '/run/containerd/containerd.sock';
/** dockerd 20.10 creates this whatever its exec root is (plugin discovery). */
const PLUGIN_SOCKETS = ['/run/docker/plugins', '/run/docker'];

export interface Dockerd {
  /** `docker -H …` with this daemon and a private client config. */
  docker: (args: string[], options?: { timeout?: number }) => Promise<string>;
  /** What the daemon logged, for a failure message. */
  log: () => string;
  stop: () => Promise<void>;
}

export async function startDockerd(timeoutMs = 30_000): Promise<Dockerd> {
  if (existsSync(SYSTEM_CONTAINERD)) {
    throw new Error(
      `${SYSTEM_CONTAINERD} exists: a private dockerd would attach to the host's containerd`,
    );
  }
  const createdHere = PLUGIN_SOCKETS.filter((dir) => !existsSync(dir));
  // Short: unix socket paths (containerd's is under exec/) must stay under 108 bytes.
  const dir = mkdtempSync(path.join(tmpdir(), 'dkd-'));
  const sock = path.join(dir, 'docker.sock');
  const logFile = path.join(dir, 'dockerd.log');
  // dockerd 20.10 writes its identity key to /etc/docker/key.json unless told otherwise,
  // and that path is settable only in the config file.
  writeFileSync(
    path.join(dir, 'daemon.json'),
    JSON.stringify({ 'deprecated-key-path': path.join(dir, 'key.json') }),
  );
  const args = [
    '--config-file',
    path.join(dir, 'daemon.json'),
    '--data-root',
    path.join(dir, 'data'),
    '--exec-root',
    path.join(dir, 'exec'),
    '--pidfile',
    path.join(dir, 'dockerd.pid'),
    '-H',
    `unix://${sock}`,
    '--iptables=false',
    '--ip6tables=false',
    '--ip-forward=false',
    '--ip-masq=false',
    '--bridge=none',
    // vfs mounts nothing for image layers; load and save work the same on every driver.
    '--storage-driver=vfs',
  ];
  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('dockerd', args, { stdio: ['ignore', logFd, logFd], detached: true });
  } finally {
    closeSync(logFd);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const childError = new Promise<Error>((resolve) => child.once('error', resolve));
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const env = { ...process.env, DOCKER_CONFIG: path.join(dir, 'client') };
  const docker = async (dockerArgs: string[], options: { timeout?: number } = {}) => {
    const { stdout } = await run('docker', ['-H', `unix://${sock}`, ...dockerArgs], {
      env,
      timeout: options.timeout ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  };

  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGTERM');
      const stopped = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000)),
      ]);
      if (!stopped) {
        process.kill(child.pid, 'SIGKILL');
        await exited;
      }
    }
    // dockerd stops the containerd it started; if it was killed, end that one by its pid.
    const containerdPid = path.join(dir, 'exec', 'containerd', 'containerd.pid');
    if (existsSync(containerdPid)) {
      const pid = Number(readFileSync(containerdPid, 'utf8').trim());
      if (pid > 0 && isRunning(pid)) process.kill(pid, 'SIGKILL');
    }
    unmountAndRemove(dir);
    // Only what this daemon created, and only while empty: rmdir refuses anything else.
    for (const created of createdHere) {
      try {
        rmdirSync(created);
      } catch {
        // not empty, or someone else's now
      }
    }
  };

  try {
    await waitForDaemon(docker, child, exited, childError, timeoutMs);
  } catch (error) {
    const text = log();
    await stop();
    throw new Error(
      `dockerd did not start: ${(error as Error).message}\n--- dockerd log (last lines) ---\n${text.split('\n').slice(-30).join('\n')}`,
    );
  }
  return { docker, log, stop };
}

async function waitForDaemon(
  docker: Dockerd['docker'],
  child: ChildProcess,
  exited: Promise<void>,
  childError: Promise<Error>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void exited.then(() => (ended = true));
  let spawnError: Error | undefined;
  void childError.then((error) => (spawnError = error));
  for (;;) {
    if (spawnError) throw spawnError;
    if (ended) throw new Error(`dockerd exited with ${child.exitCode ?? child.signalCode}`);
    try {
      await docker(['version', '--format', '{{.Server.Version}}'], { timeout: 5_000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    // The daemon gives no readiness signal but its API: poll it.
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Mounts still under a directory: the tests assert none are left behind. */
export { mountsUnder };
