// Published-port benchmark: a busybox container started by `tscompose up -d`, with an echo
// (`nc -ll -e cat`), a sink (`nc -ll -e dd of=/dev/null`) and `httpd` published on
// 127.0.0.1, measured through the keeper's proxy and directly at the container's bridge
// address; where Docker is installed, the same image and command run by a private dockerd
// (its own bridge, no iptables), through docker-proxy and directly. Figures: upload and
// download MiB/s, 64-byte round trips (p50, p99), HTTP requests/s; medians of rounds whose
// order rotates. Run as root after `npm run build`:
//   node bench/ports.mjs [--seconds 2] [--rounds 3]
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cgroupDirs, keepersOf, rmTree, stopDaemon, undoStack } from './lib/host.mjs';
import { startPrivateDockerd } from './lib/dockerd.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = path.join(root, 'bin/tscompose.js');
if (!existsSync(path.join(root, 'dist/cli/main.js'))) {
  console.error('bench/ports.mjs: dist/ is missing: run `npm run build` first');
  process.exit(1);
}
if (process.getuid?.() !== 0) {
  console.error('bench/ports.mjs: run as root (containers need namespaces, mounts and bridges)');
  process.exit(1);
}
const { unmountAndRemove } = await import(path.join(root, 'dist/engine/image/bootstrap/mounts.js'));

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);

const tag = randomBytes(3).toString('hex');
const IMAGE = `tscompose-bench-busybox:${tag}`;
const NAME = `bpt${tag}`; // the tscompose project, the docker container and the bridge
const PORTS = { echo: 5001, sink: 5002, http: 80 };
const COMMAND = [
  'sh',
  '-c',
  `nc -ll -p ${PORTS.echo} -e cat & ` +
    `nc -ll -p ${PORTS.sink} -e sh -c 'dd of=/dev/null bs=1M 2>/dev/null' & ` +
    `exec httpd -f -p ${PORTS.http} -h /www`,
];
const BIG = 64 * 1024 * 1024;

const work = mkdtempSync('/tmp/tscompose-bench-ports-');
const env = {
  ...process.env,
  TSCOMPOSE_ROOT: path.join(work, 'lib'),
  TSCOMPOSE_RUN_ROOT: path.join(work, 'run'),
};

// ---- clean-up ------------------------------------------------------------------------

/** What this bench made, undone newest first, also on Ctrl+C. */
const undo = undoStack();

// unmountAndRemove refuses to delete through a mount that is still there.
undo.push({ what: `remove ${work}`, step: () => unmountAndRemove(work) });

// ---- processes -----------------------------------------------------------------------

/**
 * A command's stdout. stderr goes to a file, and stdout is ignored where the command leaves
 * a detached child behind (`up` starts the keeper and conmon): one must not inherit a pipe.
 */
function run(file, args, { stdout = 'pipe', ...options } = {}) {
  const errFile = path.join(work, `stderr-${randomBytes(4).toString('hex')}`);
  const errFd = openSync(errFile, 'w');
  try {
    return execFileSync(file, args, {
      encoding: 'utf8',
      stdio: ['ignore', stdout, errFd],
      timeout: 120_000,
      ...options,
    });
  } catch (error) {
    throw new Error(
      `${file} ${args.join(' ')}: ${error.message}\n${readFileSync(errFile, 'utf8')}`,
    );
  } finally {
    closeSync(errFd);
    rmSync(errFile, { force: true });
  }
}

const tscompose = (args, options) =>
  run(process.execPath, [cli, '-p', NAME, ...args], { cwd: work, env, ...options });

// ---- the tscompose side --------------------------------------------------------------

function prepareImage() {
  tscompose(['image', 'bootstrap', 'busybox', IMAGE]);
  const www = path.join(work, 'www');
  mkdirSync(www);
  writeFileSync(path.join(www, 'index.html'), 'ok\n');
  writeFileSync(path.join(www, 'big.bin'), Buffer.alloc(BIG));
  return www;
}

function upTscompose(www) {
  const service = {
    image: IMAGE,
    command: COMMAND,
    volumes: [`${www}:/www:ro`],
    ports: Object.values(PORTS).map((port) => `127.0.0.1::${port}`),
  };
  // JSON is YAML: nothing is assembled from strings.
  writeFileSync(path.join(work, 'compose.yaml'), JSON.stringify({ services: { bench: service } }));
  undo.push({
    what: `tscompose down ${NAME}`,
    step: () => {
      spawnSync(process.execPath, [cli, '-p', NAME, 'down', '-v', '-t', '0'], {
        cwd: work,
        env,
        stdio: 'ignore',
      });
      // A keeper that outlived a failed `down`: this bench's, ended by its pid.
      for (const pid of keepersOf(env.TSCOMPOSE_ROOT)) process.kill(pid, 'SIGKILL');
      for (const dir of cgroupDirs(`tscompose/${NAME}`)) rmTree(dir);
    },
  });
  tscompose(['up', '-d'], { stdout: 'ignore' });

  const [ps] = tscompose(['ps', '--format', 'json']).trim().split('\n').map(JSON.parse);
  const published = (target) => ps.Publishers.find((p) => p.TargetPort === target).PublishedPort;
  const addr = tscompose(['exec', '-T', 'bench', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
  const ip = /inet (\d+\.\d+\.\d+\.\d+)/.exec(addr)?.[1];
  if (!ip) throw new Error(`no IPv4 address in the container: ${addr}`);
  return [
    target('tscompose proxy', '127.0.0.1', published),
    target('tscompose direct', ip, (port) => port),
  ];
}

function target(name, host, portOf) {
  return {
    name,
    host,
    echo: portOf(PORTS.echo),
    sink: portOf(PORTS.sink),
    http: portOf(PORTS.http),
  };
}

// ---- the Docker side -----------------------------------------------------------------

/** IPv4 ranges of the host's routes (but the default route), as [first, last] numbers. */
function routedRanges() {
  const toNumber = (ip) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  return JSON.parse(run('ip', ['-j', '-4', 'route', 'show', 'table', 'all']))
    .map((r) => r.dst)
    .filter((dst) => dst && dst !== 'default' && /^\d/.test(dst))
    .map((dst) => {
      const [ip, bits = '32'] = dst.split('/');
      const size = 2 ** (32 - Number(bits));
      const first = Math.floor(toNumber(ip) / size) * size;
      return [first, first + size - 1];
    });
}

/** A bridge of our own for dockerd's default network: a free /24 in 172.31.0.0/16. */
function makeBridge() {
  if (spawnSync('ip', ['link', 'show', NAME], { stdio: 'ignore' }).status === 0) {
    throw new Error(`a link named ${NAME} exists already`);
  }
  const taken = routedRanges();
  const base = (172 * 256 + 31) * 65536;
  const third = Array.from({ length: 32 }, () => randomInt(0, 256)).find((n) =>
    taken.every(([first, last]) => last < base + n * 256 || first > base + n * 256 + 255),
  );
  if (third === undefined) throw new Error('no free /24 in 172.31.0.0/16 for the bridge');
  run('ip', ['link', 'add', NAME, 'type', 'bridge']);
  undo.push({ what: `delete bridge ${NAME}`, step: () => run('ip', ['link', 'del', NAME]) });
  run('ip', ['addr', 'add', `172.31.${third}.1/24`, 'dev', NAME]);
  run('ip', ['link', 'set', NAME, 'up']);
}

/** The private dockerd, on the bridge made for the run; its `docker` CLI. */
async function startDockerd() {
  let daemon;
  const docker = (args) => run('docker', args, { env: daemon.env });
  await startPrivateDockerd({
    prefix: 'dkp',
    bridge: NAME,
    cgroupParent: NAME,
    spawned: (started) => {
      daemon = started;
      const { child, dir, created } = started;
      undo.push({
        what: 'stop the private dockerd',
        step: () => {
          stopDaemon(child, dir, created, unmountAndRemove);
          for (const cgroup of cgroupDirs(NAME)) rmTree(cgroup);
        },
      });
      undo.push({
        what: 'remove the docker containers',
        step: () => {
          if (child.exitCode !== null) return;
          const ids = docker(['ps', '-aq']).split('\n').filter(Boolean);
          if (ids.length > 0) docker(['rm', '-f', '-v', ...ids]);
        },
      });
    },
  });
  return docker;
}

async function upDocker(www) {
  makeBridge();
  const docker = await startDockerd();
  const archive = path.join(work, 'image.tar');
  tscompose(['image', 'save', '-o', archive, IMAGE]);
  docker(['load', '-q', '-i', archive]);
  const publish = Object.values(PORTS).flatMap((port) => ['-p', `127.0.0.1::${port}`]);
  docker(['run', '-d', '--name', NAME, '-v', `${www}:/www:ro`, ...publish, IMAGE, ...COMMAND]);
  const [inspect] = JSON.parse(docker(['inspect', NAME]));
  const { IPAddress, Ports } = inspect.NetworkSettings;
  const published = (port) => Number(Ports[`${port}/tcp`][0].HostPort);
  return [
    target('docker-proxy', '127.0.0.1', published),
    target('docker direct', IPAddress, (p) => p),
  ];
}

// ---- the measurements ----------------------------------------------------------------

async function connect(host, port) {
  const socket = net.connect({ host, port, noDelay: true });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/** Until the echo answers and httpd serves: the container's servers start after `up`. */
async function ready(t) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const error = await Promise.all([pingPong(t, 0.05), httpRate(t, 0.05)]).then(
      ([{ p50 }, { http }]) => (p50 > 0 && http > 0 ? undefined : new Error('no answer')),
      (failed) => failed,
    );
    if (!error) return;
    if (Date.now() > deadline) throw new Error(`${t.name} does not answer: ${error.message}`);
    await sleep(100);
  }
}

/** 1 MiB blocks into the sink for `secs`; the figure is what the kernel took. */
async function upload(t, secs) {
  const socket = await connect(t.host, t.sink);
  const block = Buffer.alloc(1024 * 1024);
  const began = performance.now();
  while (performance.now() < began + secs * 1000) {
    if (!socket.write(block)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  const elapsed = (performance.now() - began) / 1000;
  const bytes = socket.bytesWritten - socket.writableLength;
  socket.destroy();
  return { upload: bytes / elapsed / 2 ** 20 };
}

/** `GET /big.bin` from httpd (sendfile on its side), one after another, for `secs`. */
async function download(t, secs) {
  let bytes = 0;
  const began = performance.now();
  const until = began + secs * 1000;
  while (performance.now() < until) {
    const socket = await connect(t.host, t.http);
    socket.write('GET /big.bin HTTP/1.0\r\n\r\n');
    await new Promise((resolve, reject) => {
      socket.on('data', (chunk) => {
        bytes += chunk.length;
        if (performance.now() >= until) socket.destroy();
      });
      socket.once('close', resolve).once('error', reject);
    });
  }
  return { download: bytes / ((performance.now() - began) / 1000) / 2 ** 20 };
}

/** One 64-byte ping at a time through `cat`, for `secs`. */
async function pingPong(t, secs) {
  const socket = await connect(t.host, t.echo);
  const ping = Buffer.alloc(64, 'x');
  let inFlight; // the resolve and reject of the ping that waits for its echo
  let got = 0;
  socket.on('data', (chunk) => {
    got += chunk.length;
    if (got < ping.length) return;
    got = 0;
    inFlight?.resolve();
  });
  socket.on('close', () => inFlight?.reject(new Error('the echo closed the connection')));
  const times = [];
  const until = performance.now() + secs * 1000;
  try {
    while (performance.now() < until) {
      const sent = performance.now();
      await new Promise((resolve, reject) => {
        inFlight = { resolve, reject };
        socket.write(ping);
      });
      times.push((performance.now() - sent) * 1000);
    }
  } finally {
    inFlight = undefined;
    socket.destroy();
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

/** `GET /` from 4 clients at once, a new connection each (busybox httpd closes it). */
async function httpRate(t, secs) {
  let done = 0;
  const began = performance.now();
  const until = began + secs * 1000;
  const get = () =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: t.host, port: t.http, path: '/', agent: false }, (res) => {
        res.resume();
        res.once('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      });
      req.once('error', reject);
    });
  const client = async () => {
    while (performance.now() < until) {
      await get();
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: 4 }, client));
  return { http: done / ((performance.now() - began) / 1000) };
}

const MEASURES = [upload, download, pingPong, httpRate];
const ROWS = [
  { key: 'upload', label: 'upload, MiB/s (higher is better)' },
  { key: 'download', label: 'download, MiB/s (higher)' },
  { key: 'p50', label: 'round trip p50, µs (lower)' },
  { key: 'p99', label: 'round trip p99, µs (lower)' },
  { key: 'http', label: 'HTTP requests/s (higher)' },
];

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const fmt = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

/** Medians by target name and row key. */
async function measureAll(targets) {
  const samples = new Map(targets.map((t) => [t.name, {}]));
  for (let round = 0; round < rounds; round += 1) {
    // Rotate who goes first: the page cache and the CPU's clock favour whoever follows.
    const order = targets.map((_, k) => targets[(k + round) % targets.length]);
    for (const t of order) {
      for (const measure of MEASURES) {
        for (const [key, value] of Object.entries(await measure(t, seconds))) {
          (samples.get(t.name)[key] ??= []).push(value);
        }
      }
    }
  }
  return (name, key) => median(samples.get(name)[key]);
}

function report(figure, hasDocker) {
  const names = ['tscompose proxy', 'tscompose direct', 'docker-proxy', 'docker direct'];
  const columns = hasDocker ? names : names.slice(0, 2);
  const ratios = [
    ['proxy÷direct', 'tscompose proxy', 'tscompose direct'],
    ...(hasDocker
      ? [
          ['docker-proxy÷direct', 'docker-proxy', 'docker direct'],
          ['tscompose÷docker-proxy', 'tscompose proxy', 'docker-proxy'],
        ]
      : []),
  ];
  const header = ['', ...columns, ...ratios.map(([label]) => label)];
  const rows = ROWS.map(({ key, label }) => [
    label,
    ...columns.map((name) => fmt(figure(name, key))),
    ...ratios.map(([, a, b]) => (figure(a, key) / figure(b, key)).toFixed(2)),
  ]);
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) {
    const cells = row.map((cell, i) =>
      i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]),
    );
    console.log(cells.join('  '));
  }
}

// ---- the run -------------------------------------------------------------------------

try {
  const www = prepareImage();
  const targets = upTscompose(www);
  const hasDocker =
    existsSync('/usr/sbin/dockerd') && spawnSync('docker', ['--version']).status === 0;
  if (hasDocker) targets.push(...(await upDocker(www)));
  for (const t of targets) await ready(t);
  console.log(
    `${rounds} rounds of ${seconds} s per figure, medians; client in this process on the host, ` +
      'the servers in a busybox container (nc -e cat, nc -e dd, httpd)',
  );
  // Untimed: the JIT, the page cache for big.bin, the proxies' first connections.
  for (const t of targets) for (const measure of MEASURES) await measure(t, 0.3);
  report(await measureAll(targets), hasDocker);
  if (!hasDocker) {
    console.log('docker-proxy: skipped (Docker is not installed: no dockerd or no docker CLI)');
  }
} finally {
  undo.cleanUp();
}
