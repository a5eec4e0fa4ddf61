// A private dockerd for the benches that compare with Docker: its own data root, exec
// root, pid file and socket under /tmp, no iptables, ip_forward or masquerading, so that
// nothing of the host's changes. Stopped by its pid with stopDaemon (./host.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Starts it and waits until it answers. `bridge` is the dockerd's `--bridge` (a bridge
 * the bench made, or 'none'); `cgroupParent` its containers' cgroup parent, if any.
 * `spawned` hears of the daemon as soon as it runs, so that the caller can undo it even
 * when it never answers. `alsoCreates` are more paths it would make, for the caller to
 * remove after (those that did not exist before).
 */
export async function startPrivateDockerd({
  prefix,
  bridge,
  cgroupParent,
  alsoCreates = [],
  spawned,
}) {
  if (existsSync('/run/containerd/containerd.sock')) {
    throw new Error('a system containerd is running: a private dockerd would attach to it');
  }
  // dockerd 20.10 makes these whatever its roots are; containerd's shims put sockets in s/.
  const created = [
    '/run/docker',
    '/run/docker/plugins',
    '/run/containerd',
    '/run/containerd/s',
    ...alsoCreates,
  ].filter((dir) => !existsSync(dir));
  // Short: containerd's socket under exec/ must stay under 108 bytes.
  const dir = mkdtempSync(`/tmp/${prefix}-`);
  const sock = path.join(dir, 'docker.sock');
  writeFileSync(
    path.join(dir, 'daemon.json'),
    JSON.stringify({ 'deprecated-key-path': path.join(dir, 'key.json') }),
  );
  const log = openSync(path.join(dir, 'dockerd.log'), 'a');
  const child = spawn(
    'dockerd',
    [
      ...['--config-file', path.join(dir, 'daemon.json'), '--data-root', path.join(dir, 'data')],
      ...['--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'dockerd.pid')],
      ...['-H', `unix://${sock}`, '--iptables=false', '--ip6tables=false', '--ip-forward=false'],
      ...['--ip-masq=false', `--bridge=${bridge}`, '--storage-driver=overlay2'],
      ...(cgroupParent ? [`--cgroup-parent=/${cgroupParent}`] : []),
    ],
    { stdio: ['ignore', log, log], detached: true },
  );
  closeSync(log);
  const daemon = {
    child,
    dir,
    sock,
    created,
    env: { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: path.join(dir, 'cli') },
  };
  spawned(daemon);
  const deadline = Date.now() + 30_000;
  while (spawnSync('docker', ['version'], { stdio: 'ignore', env: daemon.env }).status !== 0) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`dockerd did not start; its log is ${dir}/dockerd.log`);
    }
    await sleep(100);
  }
  return daemon;
}
