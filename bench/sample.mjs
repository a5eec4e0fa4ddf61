// Sample-stack benchmark: `tscompose up -d --wait` and `down -v` of samples/webapp (four
// busybox services, health-gated depends_on, a named volume, a published port, cgroup
// limits) against Debian's docker-compose 1.29 on the same file with a private dockerd.
// 1.29 has no --wait, so its side polls the containers' health over the Docker API until
// every service with a healthcheck is healthy. After each `up` the page is fetched through
// the published port on both sides. Medians of --runs, after one untimed round per side.
// Run as root after `npm run build`:
//   node bench/sample.mjs [--runs 3]
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cgroupDirs, keepersOf, rmTree, stopDaemon, undoStack } from './lib/host.mjs';
import { startPrivateDockerd } from './lib/dockerd.mjs';
import { parseDocument } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = path.join(root, 'bin/tscompose.js');
const sample = path.join(root, 'samples/webapp');
if (!existsSync(path.join(root, 'dist/cli/main.js'))) {
  console.error('bench/sample.mjs: dist/ is missing: run `npm run build` first');
  process.exit(1);
}
if (process.getuid?.() !== 0) {
  console.error('bench/sample.mjs: run as root (containers need namespaces, mounts and cgroups)');
  process.exit(1);
}
const { unmountAndRemove } = await import(path.join(root, 'dist/engine/image/bootstrap/mounts.js'));

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
const tag = randomBytes(3).toString('hex');
const page = readFileSync(path.join(sample, 'www/index.html'), 'utf8');
/** Run in `web`: traffic between two services on the project's bridge. */
const API_HEALTH = ['wget', '-q', '-O', '-', 'http://api:9000/health'];

const work = mkdtempSync('/tmp/tscompose-bench-sample-');
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
 * A command to its end, its stdout returned. stderr goes to a file, and stdout too unless
 * asked for: a detached child (the keeper, conmon) would hold a pipe open.
 */
let commands = 0;
function run(file, args, { stdout = false, ...options } = {}) {
  const outFile = path.join(work, `out-${(commands += 1)}`);
  const errFile = `${outFile}.err`;
  const fds = [openSync(outFile, 'w'), openSync(errFile, 'w')];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', ...fds], ...options });
    fds.forEach((fd) => closeSync(fd));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const [out, err] = [outFile, errFile].map((f) => readFileSync(f, 'utf8'));
      rmSync(outFile);
      rmSync(errFile);
      if (code === 0) resolve(stdout ? out : undefined);
      else reject(new Error(`${file} ${args.join(' ')}: exit ${code ?? signal}\n${err}`));
    });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The page through the published port; a stack whose page is wrong fails the bench. */
async function fetchPage(port) {
  const deadline = Date.now() + 5_000;
  for (let tries = 1; ; tries += 1) {
    const body = await fetch(`http://127.0.0.1:${port}/`).then(
      (r) => (r.ok ? r.text() : `HTTP ${r.status}`),
      (error) => error.cause?.code ?? error.message,
    );
    if (body === page) return tries;
    if (Date.now() > deadline) throw new Error(`127.0.0.1:${port}/ gave "${body.slice(0, 80)}"`);
    await sleep(50);
  }
}

// ---- host state that dockerd could change --------------------------------------------

function hostState() {
  const sysctl = (key) => readFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, 'utf8').trim();
  const policy = (tool) => {
    const out = spawnSync(tool, ['-S', 'FORWARD'], { encoding: 'utf8' }).stdout ?? '';
    return /^-P FORWARD (\w+)/m.exec(out)?.[1] ?? 'none';
  };
  return {
    'net.bridge.bridge-nf-call-iptables': existsSync('/proc/sys/net/bridge')
      ? sysctl('net.bridge.bridge-nf-call-iptables')
      : 'absent',
    'net.ipv4.ip_forward': sysctl('net.ipv4.ip_forward'),
    'iptables FORWARD policy': policy('iptables'),
    'iptables-legacy FORWARD policy': policy('iptables-legacy'),
  };
}

/**
 * Reported, not restored: other work on the host (the test suite tries a FORWARD DROP
 * host) may change these while the bench runs, and putting them back would undo its change.
 */
function checkHostState(before) {
  const after = hostState();
  const changed = Object.keys(before).filter((key) => before[key] !== after[key]);
  for (const key of changed) {
    console.error(`host: ${key} was ${before[key]} at the start, is ${after[key]} at the end`);
  }
  if (changed.length === 0) console.log('host: left as found');
}

// ---- tscompose -----------------------------------------------------------------------

const upStacks = new Map(); // project → what brings it down again
const projects = new Set(); // every project name used, for its cgroups

function tscomposeSide() {
  const compose = (project, port, args, options) =>
    run(process.execPath, [cli, '-p', project, ...args], {
      cwd: sample,
      env: { ...env, WEB_PORT: String(port) },
      ...options,
    });
  return {
    name: 'tscompose',
    up: async (project, port) => {
      upStacks.set(project, () =>
        spawnSync(process.execPath, [cli, '-p', project, 'down', '-v', '-t', '0'], {
          cwd: sample,
          env: { ...env, WEB_PORT: String(port) },
          stdio: 'ignore',
        }),
      );
      await compose(project, port, ['up', '-d', '--wait']);
    },
    intra: (project, port) =>
      compose(project, port, ['exec', '-T', 'web', ...API_HEALTH], { stdout: true }),
    down: async (project, port) => {
      await compose(project, port, ['down', '-v']);
      upStacks.delete(project);
    },
  };
}

// ---- Docker Compose ------------------------------------------------------------------

function dockerApi(sock, urlPath) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, path: urlPath, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(urlPath === '/_ping' ? body : JSON.parse(body))
          : reject(new Error(body)),
      );
    });
    req.once('error', reject);
    req.end();
  });
}

/** The private dockerd, with no bridge of its own: compose makes the project's network. */
async function startDockerd() {
  const cgroupParent = `dks${tag}`;
  const networks = new Set(); // ids of the networks compose made, for their bridges
  const daemon = await startPrivateDockerd({
    prefix: 'dks',
    bridge: 'none',
    cgroupParent,
    spawned: (started) => {
      const { child, dir, created } = started;
      started.stopped = false;
      undo.push({
        what: 'stop the private dockerd',
        step: () => {
          stopDaemon(child, dir, created, unmountAndRemove);
          started.stopped = true;
          for (const cgroup of cgroupDirs(cgroupParent)) rmTree(cgroup);
          // A network still there when dockerd stopped leaves its bridge, br-<id12>, behind.
          for (const id of networks) {
            const bridge = `br-${id.slice(0, 12)}`;
            if (spawnSync('ip', ['link', 'show', bridge], { stdio: 'ignore' }).status === 0) {
              spawnSync('ip', ['link', 'del', bridge]);
            }
          }
        },
      });
      undo.push({
        what: 'remove the docker containers and networks',
        step: () => {
          if (child.exitCode !== null) return;
          const docker = (args) =>
            spawnSync('docker', args, { env: started.env, encoding: 'utf8' }).stdout ?? '';
          const ids = docker(['ps', '-aq']).split('\n').filter(Boolean);
          if (ids.length > 0) docker(['rm', '-f', '-v', ...ids]);
          const custom = docker(['network', 'ls', '-q', '--no-trunc', '--filter', 'type=custom']);
          for (const id of custom.split('\n').filter(Boolean)) networks.add(id);
          if (networks.size > 0) docker(['network', 'rm', ...networks]);
        },
      });
    },
  });
  return daemon;
}

/** 1.29 refuses the top-level `name` (compose-spec, newer); -p names the project anyway. */
function composeFileFor129() {
  const doc = parseDocument(readFileSync(path.join(sample, 'compose.yaml'), 'utf8'));
  doc.delete('name');
  const file = path.join(work, 'compose-1.29.yaml');
  writeFileSync(file, doc.toString());
  return file;
}

async function dockerComposeSide(daemon) {
  await run('docker', ['load', '-q', '-i', path.join(work, 'image.tar')], { env: daemon.env });
  const file = composeFileFor129();
  const compose = (project, port, args) =>
    run('docker-compose', ['-f', file, '--project-directory', sample, '-p', project, ...args], {
      env: { ...daemon.env, WEB_PORT: String(port) },
    });
  return {
    name: 'docker-compose',
    up: async (project, port) => {
      // Once the daemon is stopped, its containers and networks went with it.
      upStacks.set(project, () =>
        daemon.stopped
          ? undefined
          : spawnSync(
              'docker-compose',
              ['-f', file, '--project-directory', sample, '-p', project, 'down', '-v', '-t', '0'],
              { env: { ...daemon.env, WEB_PORT: String(port) }, stdio: 'ignore' },
            ),
      );
      await compose(project, port, ['up', '-d']);
      await healthy(daemon.sock, project);
    },
    intra: (project) =>
      run('docker', ['exec', `${project}_web_1`, ...API_HEALTH], {
        env: daemon.env,
        stdout: true,
      }),
    down: async (project, port) => {
      await compose(project, port, ['down', '-v']);
      upStacks.delete(project);
    },
  };
}

/** What `up --wait` waits for: every container running, and healthy where it has a check. */
async function healthy(sock, project) {
  const filters = encodeURIComponent(
    JSON.stringify({ label: [`com.docker.compose.project=${project}`] }),
  );
  const deadline = Date.now() + 120_000;
  for (;;) {
    const list = await dockerApi(sock, `/containers/json?all=1&filters=${filters}`);
    const states = await Promise.all(
      list.map((c) => dockerApi(sock, `/containers/${c.Id}/json`).then((i) => i.State)),
    );
    const ready = (s) => s.Running && (s.Health === undefined || s.Health.Status === 'healthy');
    if (states.length > 0 && states.every(ready)) return;
    if (Date.now() > deadline) throw new Error(`${project}: not healthy after 120 s`);
    await sleep(20);
  }
}

// ---- the runs ------------------------------------------------------------------------

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const ms = (value) => `${Math.round(value).toLocaleString('en')} ms`;

async function timed(action) {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

/** One up, the page, one down: the times of both steps and how many tries the page took. */
async function round(side, project) {
  projects.add(project);
  const port = await freePort();
  const up = await timed(() => side.up(project, port));
  const tries = await fetchPage(port);
  // Once per side, untimed: traffic between two services on the project's bridge.
  let intra;
  if (project.endsWith('w')) {
    const policy = hostState()['iptables FORWARD policy'];
    intra = await side.intra(project, port).then(
      (body) => `web → api:9000 answered ${body.trim()}`,
      (error) => `web → api:9000 failed: ${error.message.split('\n').slice(-2).join(' ')}`,
    );
    intra += ` (host FORWARD policy ${policy} then)`;
  }
  const down = await timed(() => side.down(project, port));
  return { up, down, tries, intra };
}

try {
  const before = hostState();
  const found = Object.entries(before).map(([key, value]) => `${key} ${value}`);
  console.log(`host: ${found.join(', ')}`);
  undo.push({ what: 'check the host state', step: () => checkHostState(before) });
  undo.push({
    what: 'bring the stacks down',
    step: () => {
      for (const bringDown of upStacks.values()) bringDown();
      // A keeper that outlived a failed `down`: this bench's, ended by its pid.
      for (const pid of keepersOf(env.TSCOMPOSE_ROOT)) process.kill(pid, 'SIGKILL');
      for (const project of projects)
        for (const dir of cgroupDirs(`tscompose/${project}`)) rmTree(dir);
    },
  });
  await run(process.execPath, [cli, 'image', 'bootstrap', 'busybox'], { env });
  const sides = [tscomposeSide()];
  const peer = ['docker', 'docker-compose'].every(
    (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0,
  );
  if (existsSync('/usr/sbin/dockerd') && peer) {
    await run(process.execPath, [cli, 'image', 'save', '-o', `${work}/image.tar`, 'busybox'], {
      env,
    });
    sides.push(await dockerComposeSide(await startDockerd()));
  }
  console.log(
    `samples/webapp: ${runs} runs of each side after an untimed one; medians. ` +
      'up: tscompose up -d --wait; docker-compose up -d, then until every healthcheck passes.',
  );
  for (const side of sides) {
    const { intra } = await round(side, `bsm${tag}${side.name[0]}w`);
    console.log(`${side.name}: ${intra}`);
  }
  const times = new Map(sides.map((s) => [s.name, { up: [], down: [], tries: 0 }]));
  for (let i = 0; i < runs; i += 1) {
    // Alternate who goes first: page cache, cgroup and mount churn favour whoever follows.
    const order = sides.map((_, k) => sides[(k + i) % sides.length]);
    for (const side of order) {
      const { up, down, tries } = await round(side, `bsm${tag}${side.name[0]}${i}`);
      const t = times.get(side.name);
      t.up.push(up);
      t.down.push(down);
      t.tries = Math.max(t.tries, tries);
    }
  }
  for (const step of ['up', 'down']) {
    const line = [`${step.padEnd(5)}`];
    for (const side of sides) line.push(`${side.name} ${ms(median(times.get(side.name)[step]))}`);
    if (sides.length > 1) {
      const [ours, theirs] = sides.map((s) => median(times.get(s.name)[step]));
      line.push(`tscompose ÷ docker-compose ${(ours / theirs).toFixed(2)}`);
    }
    console.log(line.join('   '));
  }
  for (const side of sides) {
    const { tries, up } = times.get(side.name);
    const all = up.map((t) => ms(t)).join(', ');
    console.log(`${side.name}: up runs ${all}; page served at try ${tries} at worst`);
  }
  if (sides.length === 1) {
    console.log('docker-compose: skipped (Docker or docker-compose is not installed)');
  }
} finally {
  undo.cleanUp();
}
