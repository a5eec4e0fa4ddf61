// Up/down benchmark: `tscompose up -d` to all healthy and `down -t 10`, run as a user runs
// them (the CLI as a child process), for a 5-service chain gated on service_healthy and
// for 20 and 50 independent `sleep 1000` services; the same containers started with bare
// `runc run -d` (the engine's overhead), and with Docker Compose 1.29 where a Docker engine
// answers (or a private one, with --with-docker). Sides alternate which goes first; each
// figure is a median. Run as root after `npm run build`:
//   node bench/up.mjs [--runs 3] [--sizes 5,20,50] [--with-docker]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startPrivateDockerd } from './lib/dockerd.mjs';
import { cgroupDirs, stopDaemon } from './lib/host.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(path.join(root, 'dist/stack/up.js'))) {
  console.error('bench/up.mjs: dist/ is missing or stale: run `npm run build` first');
  process.exit(1);
}
if (process.getuid?.() !== 0) {
  console.error('bench/up.mjs: run as root (containers need namespaces, mounts and cgroups)');
  process.exit(1);
}
const { Engine } = await import(path.join(root, 'dist/engine/engine.js'));
const { bootstrapBusybox } = await import(path.join(root, 'dist/engine/image/bootstrap.js'));
const { mountsUnder, unmountAndRemove } = await import(
  path.join(root, 'dist/engine/image/bootstrap/mounts.js')
);

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '5,20,50' },
    'with-docker': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const sizes = values.sizes.split(',').map(Number);
const CHAIN = 5;
const INTERVAL_MS = 100;
const cli = path.join(root, 'bin/tscompose.js');

const tag = randomBytes(3).toString('hex');
// Our own name, so that a host's Docker engine keeps whatever busybox:latest it has.
const IMAGE = `tscompose-bench-busybox:${tag}`;
const work = mkdtempSync('/tmp/tscompose-bench-up-');
const env = {
  ...process.env,
  TSCOMPOSE_ROOT: path.join(work, 'lib'),
  TSCOMPOSE_RUN_ROOT: path.join(work, 'run'),
};
const runcRoot = path.join(work, 'runc');
const projects = new Set(); // every cgroup parent name used, for the clean-up
const upStacks = new Map(); // project → what brings it down again
let dockerd;
let dockerImageLoaded; // the host engine we loaded IMAGE into, if any

// ---- the stacks ----------------------------------------------------------------------

const TERM_AWARE = ['sh', '-c', "trap 'exit 0' TERM; sleep 1000 & wait"];
const DEAF = ['sleep', '1000'];

/** The chain handles SIGTERM; the wide stacks run a PID 1 that cannot hear it. */
function stackOf(size) {
  const chain = size === CHAIN;
  return Array.from({ length: size }, (_, i) => ({
    name: `s${i + 1}`,
    command: chain ? TERM_AWARE : DEAF,
    after: chain && i > 0 ? `s${i}` : undefined,
  }));
}

function composeFile(size) {
  const services = {};
  for (const s of stackOf(size)) {
    services[s.name] = {
      image: IMAGE,
      command: s.command,
      // The same on both engines: tscompose runs these with loopback only for now.
      network_mode: 'none',
      ...(size === CHAIN && {
        healthcheck: { test: ['CMD', 'true'], interval: `${INTERVAL_MS}ms`, retries: 3 },
      }),
      ...(s.after && { depends_on: { [s.after]: { condition: 'service_healthy' } } }),
    };
  }
  const dir = path.join(work, `stack-${size}`);
  mkdirSync(dir, { recursive: true });
  // JSON is YAML: both tools read it, and nothing is assembled from strings.
  writeFileSync(path.join(dir, 'compose.yaml'), JSON.stringify({ services }, null, 2));
  return dir;
}

// ---- processes -----------------------------------------------------------------------

/**
 * A command to its end. No pipes: a detached child (conmon, a container's init) would
 * inherit one and hold it open, so stderr goes to a file, read when the command fails.
 */
let commands = 0;
function run(file, args, options = {}) {
  const errFile = path.join(work, `stderr-${(commands += 1)}`);
  const errFd = openSync(errFile, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', errFd], ...options });
    closeSync(errFd);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const stderr = readFileSync(errFile, 'utf8');
      rmSync(errFile);
      if (code === 0) resolve();
      else reject(new Error(`${file} ${args.join(' ')}: exit ${code ?? signal}\n${stderr}`));
    });
  });
}

async function timed(action) {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

// ---- tscompose -----------------------------------------------------------------------

const tscompose = {
  name: 'tscompose',
  up: async (project, size, dir) => {
    projects.add(project);
    upStacks.set(project, () =>
      spawnSync(process.execPath, [cli, '-p', project, 'down', '-t', '0'], {
        cwd: dir,
        env,
        stdio: 'ignore',
      }),
    );
    // `--wait` holds up -d until the last of the chain is healthy too (no keeper yet).
    const wait = size === CHAIN ? ['--wait'] : [];
    await run(process.execPath, [cli, '-p', project, 'up', '-d', ...wait], { cwd: dir, env });
  },
  down: async (project, size, dir) => {
    await run(process.execPath, [cli, '-p', project, 'down', '-t', '10'], { cwd: dir, env });
    upStacks.delete(project);
  },
};

/** Pids of processes started with this bench's engine root whose command line matches. */
function processesOf(matches) {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
        return matches(cmdline) && environ.includes(`TSCOMPOSE_ROOT=${env.TSCOMPOSE_ROOT}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The resident memory of the project's keeper, if one runs. */
function keeperRss(project) {
  const [pid] = processesOf((cmdline) => cmdline.includes('keeper') && cmdline.includes(project));
  if (pid === undefined) return undefined;
  const rss = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return rss ? `VmRSS ${(Number(rss[1]) / 1024).toFixed(1)} MiB (pid ${pid})` : undefined;
}

// ---- bare runc -----------------------------------------------------------------------

/** One shared read-only rootfs, a tmpfs for /tmp, `runc spec`'s defaults otherwise. */
function runcSpec(project, id, args) {
  const spec = JSON.parse(readFileSync(path.join(work, 'spec/config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = args;
  spec.root = { path: path.join(work, 'rootfs'), readonly: true };
  spec.hostname = id.slice(0, 12);
  spec.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] });
  spec.linux.cgroupsPath = `/tscompose/${project}/${id}`;
  return spec;
}

const runc = (args, options) => run('runc', ['--root', runcRoot, ...args], options);

const bare = {
  name: 'bare runc',
  up: async (project, size) => {
    projects.add(project);
    upStacks.set(project, () => runcRemoveAll(project));
    const start = async (s) => {
      const id = `${project}-${s.name}`;
      const bundle = path.join(work, 'bundles', id);
      mkdirSync(bundle, { recursive: true });
      writeFileSync(
        path.join(bundle, 'config.json'),
        JSON.stringify(runcSpec(project, id, s.command)),
      );
      await runc(['run', '-d', '--bundle', bundle, '--pid-file', path.join(bundle, 'pid'), id]);
      if (size !== CHAIN) return;
      // The healthcheck's first probe, after the same interval the engines wait.
      await sleep(INTERVAL_MS);
      await runc(['exec', id, 'true']);
    };
    const services = stackOf(size);
    if (size === CHAIN) for (const s of services) await start(s);
    else await Promise.all(services.map(start));
  },
  down: async (project, size) => {
    const services = stackOf(size);
    if (size === CHAIN) {
      for (const s of services.reverse()) {
        const id = `${project}-${s.name}`;
        await runc(['kill', id, 'TERM']);
        await gone(Number(readFileSync(path.join(work, 'bundles', id, 'pid'), 'utf8')));
        await runc(['delete', id]);
      }
    } else {
      // What tscompose does for a PID 1 that cannot hear SIGTERM: SIGKILL at once.
      await Promise.all(services.map((s) => runc(['delete', '-f', `${project}-${s.name}`])));
    }
    upStacks.delete(project);
    rmCgroupParent(project);
  },
};

async function gone(pid) {
  for (;;) {
    try {
      if (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) return;
    } catch {
      return;
    }
    await sleep(2);
  }
}

function runcRemoveAll(project) {
  const ids = spawnSync('runc', ['--root', runcRoot, 'list', '-q'], { encoding: 'utf8' });
  for (const id of (ids.stdout ?? '').split('\n').filter((i) => i.startsWith(`${project}-`))) {
    spawnSync('runc', ['--root', runcRoot, 'delete', '-f', id], { stdio: 'ignore' });
  }
  rmCgroupParent(project);
}

// ---- Docker Compose ------------------------------------------------------------------

/** A private dockerd, with no bridge: the stacks here run with network_mode: none. */
async function startDockerd() {
  const cgroups = readdirSync('/sys/fs/cgroup').map((c) =>
    path.join('/sys/fs/cgroup', c, 'docker'),
  );
  const daemon = await startPrivateDockerd({
    prefix: 'dkb',
    bridge: 'none',
    alsoCreates: cgroups,
    spawned: (started) => {
      dockerd = started;
    },
  });
  return Object.assign(daemon, { host: `unix://${daemon.sock}`, private: true });
}

function stopDockerd({ child, dir, created }) {
  stopDaemon(child, dir, created, unmountAndRemove);
}

function dockerApi(sock, urlPath) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, path: urlPath, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(body))));
    });
    req.once('error', reject);
    req.end();
  });
}

function dockerCompose(daemon) {
  const denv = { ...process.env, DOCKER_HOST: daemon.host };
  if (daemon.private) denv.DOCKER_CONFIG = path.join(daemon.dir, 'cli');
  const compose = (project, dir, args) =>
    run('docker-compose', ['-p', project, ...args], { cwd: dir, env: denv });
  return {
    name: 'docker-compose',
    up: async (project, size, dir) => {
      upStacks.set(project, () =>
        spawnSync('docker-compose', ['-p', project, 'down', '-t', '0'], {
          cwd: dir,
          env: denv,
          stdio: 'ignore',
        }),
      );
      await compose(project, dir, ['up', '-d']);
      if (size !== CHAIN) return;
      // 1.29 has no --wait: poll the last service's health over the API, as --wait would.
      const last = `/containers/${project}_s${CHAIN}_1/json`;
      while (JSON.parse(await dockerApi(daemon.sock, last)).State.Health?.Status !== 'healthy') {
        await sleep(10);
      }
    },
    down: async (project, size, dir) => {
      await compose(project, dir, ['down', '-t', '10']);
      upStacks.delete(project);
    },
  };
}

async function dockerSide() {
  const running = spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;
  if (!running && !values['with-docker']) return undefined;
  const daemon = running
    ? { host: process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock' }
    : await startDockerd();
  daemon.sock ??= daemon.host.replace(/^unix:\/\//, '');
  execFileSync('docker', ['-H', daemon.host, 'load', '-q', '-i', path.join(work, 'image.tar')], {
    stdio: 'ignore',
  });
  // A host's engine keeps its images: take ours out again (a private one goes whole).
  if (!daemon.private) dockerImageLoaded = daemon.host;
  return dockerCompose(daemon);
}

// ---- setting up and cleaning up ------------------------------------------------------

/** A project's cgroup parents, once their containers are gone (rmdir refuses otherwise). */
function rmCgroupParent(project) {
  for (const dir of cgroupDirs(`tscompose/${project}`)) {
    for (const child of readdirSync(dir, { withFileTypes: true })) {
      if (child.isDirectory()) rmdirQuietly(path.join(dir, child.name));
    }
    rmdirQuietly(dir);
  }
}

function rmdirQuietly(dir) {
  try {
    rmdirSync(dir);
  } catch {
    // still busy: reported below as a leftover
  }
}

let cleaned = false;
function cleanUp() {
  if (cleaned) return;
  cleaned = true;
  for (const bringDown of upStacks.values()) bringDown();
  // A keeper that outlived a failed `down`: started by this bench's CLI, ended by its pid.
  for (const pid of processesOf((cmdline) => cmdline.includes('keeper')))
    process.kill(pid, 'SIGKILL');
  if (dockerImageLoaded)
    spawnSync('docker', ['-H', dockerImageLoaded, 'rmi', IMAGE], { stdio: 'ignore' });
  if (dockerd) stopDockerd(dockerd);
  for (const project of projects) rmCgroupParent(project);
  const left = [...projects].flatMap((p) => cgroupDirs(`tscompose/${p}`));
  if (left.length > 0) console.error(`left behind: ${left.join(', ')}`);
  if (mountsUnder(work).length === 0) rmSync(work, { recursive: true, force: true });
  else unmountAndRemove(work);
}
process.on('exit', cleanUp);
process.on('SIGINT', () => process.exit(130));

/** The image in an engine root of its own, saved for `docker load`, unpacked for runc. */
async function prepareImage() {
  const engine = Engine.open({ root: env.TSCOMPOSE_ROOT, runRoot: env.TSCOMPOSE_RUN_ROOT });
  try {
    await bootstrapBusybox(engine, IMAGE);
  } finally {
    engine.close();
  }
  const archive = path.join(work, 'image.tar');
  execFileSync(process.execPath, [cli, 'image', 'save', '-o', archive, IMAGE], { env });
  const unpacked = path.join(work, 'archive');
  mkdirSync(unpacked);
  execFileSync('tar', ['-xf', archive, '-C', unpacked]);
  const rootfs = path.join(work, 'rootfs');
  mkdirSync(rootfs);
  const [{ Layers }] = JSON.parse(readFileSync(path.join(unpacked, 'manifest.json'), 'utf8'));
  for (const layer of Layers)
    execFileSync('tar', ['-xf', path.join(unpacked, layer), '-C', rootfs]);
  mkdirSync(path.join(work, 'spec'));
  execFileSync('runc', ['spec'], { cwd: path.join(work, 'spec') });
}

// ---- the runs ------------------------------------------------------------------------

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const ms = (value) => `${value.toFixed(0).padStart(6)} ms`;

try {
  await prepareImage();
  const docker = await dockerSide();
  const sides = [tscompose, bare, ...(docker ? [docker] : [])];
  console.log(
    `${runs} runs of each; medians. Chain: ${CHAIN} services, each service_healthy on the one ` +
      `before (CMD true every ${INTERVAL_MS} ms), PID 1 handles SIGTERM. Wide: sleep 1000 as ` +
      'PID 1, no healthcheck: it cannot hear SIGTERM, so `down -t 10` is the ignored-signal case.',
  );
  // One untimed round first: tscompose unpacks the image's snapshot on first use (docker
  // load did that already), and every side gets its binaries into the page cache.
  const warm = composeFile(sizes[0]);
  for (const side of sides) {
    await side.up(`bup${tag}${side.name[0]}w`, sizes[0], warm);
    await side.down(`bup${tag}${side.name[0]}w`, sizes[0], warm);
  }
  let keeper;
  for (const size of sizes) {
    const dir = composeFile(size);
    const times = new Map(sides.map((s) => [s.name, { up: [], down: [] }]));
    for (let i = 0; i < runs; i += 1) {
      // Rotate who goes first: page cache, cgroup and mount churn favour whoever follows.
      const order = sides.map((_, k) => sides[(k + i) % sides.length]);
      for (const side of order) {
        const project = `bup${tag}${side.name[0]}${size}r${i}`;
        times.get(side.name).up.push(await timed(() => side.up(project, size, dir)));
        if (side === tscompose && size === 20 && keeper === undefined) {
          keeper = keeperRss(project) ?? 'not running (no keeper yet)';
        }
        times.get(side.name).down.push(await timed(() => side.down(project, size, dir)));
      }
    }
    const label = size === CHAIN ? `${size}-service chain` : `${size} services`;
    const ours = times.get('tscompose');
    for (const step of ['up', 'down']) {
      const line = [`${label.padEnd(17)} ${step.padEnd(4)}`];
      for (const side of sides) line.push(`${side.name} ${ms(median(times.get(side.name)[step]))}`);
      for (const side of sides.slice(1)) {
        const ratio = median(ours[step]) / median(times.get(side.name)[step]);
        line.push(`÷ ${side.name} ${ratio.toFixed(2)}`);
      }
      console.log(line.join('   '));
    }
  }
  if (keeper !== undefined) console.log(`keeper (20 services): ${keeper}`);
  if (!docker) {
    console.log(
      'docker-compose: skipped (no Docker engine; pass --with-docker to start a private one)',
    );
  }
} finally {
  cleanUp();
}
