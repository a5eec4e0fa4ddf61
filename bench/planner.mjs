// Planner benchmarks: `config` on generated stacks of 10, 100 and 1,000 services (with
// extends and interpolation), and `--version` start-up. Where docker-compose is
// installed, the same files go through `docker-compose config` in the same run and the
// ratio is printed. Run after `npm run build`:  npm run bench planner
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = path.join(root, 'bin', 'tscompose.js');
const { loadProject } = await import(path.join(root, 'dist/planner/loader.js'));

const work = mkdtempSync(path.join(tmpdir(), 'tscompose-bench-'));
if (!process.env.BENCH_GENERATE)
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));

function generate(count) {
  const dir = path.join(work, `s${count}`);
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(
    path.join(dir, 'common.yaml'),
    stringify({
      services: {
        base: {
          image: '${REGISTRY:-docker.io}/library/busybox:${TAG:-latest}',
          restart: 'unless-stopped',
          environment: { LOG_LEVEL: '${LOG_LEVEL:-info}', REGION: 'eu' },
          healthcheck: { test: ['CMD', 'true'], interval: '5s', retries: 3 },
          labels: { 'com.example.team': 'bench' },
        },
      },
    }),
  );
  const services = {};
  for (let i = 0; i < count; i += 1) {
    services[`svc${i}`] = {
      extends: { file: 'common.yaml', service: 'base' },
      command: ['sh', '-c', `echo ${i}`],
      ports: [`127.0.0.1:${20000 + i}:80`],
      environment: [`INDEX=${i}`, 'PORT=${PORT:-80}'],
      volumes: [`data${i % 10}:/data`, './src:/src:ro'],
      depends_on: i > 0 ? { [`svc${i - 1}`]: { condition: 'service_healthy' } } : undefined,
      mem_limit: '64m',
    };
  }
  const volumes = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`data${i}`, {}]));
  writeFileSync(path.join(dir, 'compose.yaml'), stringify({ services, volumes }));
  return dir;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeInProcess(dir, runs) {
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    loadProject({ cwd: dir, projectName: 'bench', environment: {}, homeDir: '/root' });
    times.push(performance.now() - start);
  }
  return median(times);
}

function timeCommand(command, args, cwd, runs) {
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    const result = spawnSync(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
    times.push(performance.now() - start);
  }
  return median(times);
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

if (process.env.BENCH_GENERATE) {
  // For profiling: write one generated stack, print its folder, keep it.
  console.log(generate(Number(process.env.BENCH_GENERATE)));
  process.exit(0);
}

const peer = has('docker-compose') ? 'docker-compose' : undefined;
const fmt = (ms) => `${ms.toFixed(1)} ms`;
const rows = [];

rows.push([
  'tscompose --version',
  fmt(timeCommand(process.execPath, [cli, '--version'], root, 15)),
]);
let previous;
for (const count of [10, 100, 1000]) {
  const dir = generate(count);
  const runs = count === 1000 ? 5 : 15;
  const inProcess = timeInProcess(dir, runs);
  const command = timeCommand(process.execPath, [cli, '-p', 'bench', 'config', '-q'], dir, runs);
  const perService = inProcess / count;
  const growth = previous ? ` (×${(inProcess / previous).toFixed(1)} for ×10 services)` : '';
  previous = inProcess;
  let line = `${fmt(command)} as a command; load ${fmt(inProcess)} in process, ${(perService * 1000).toFixed(0)} µs/service${growth}`;
  if (peer) {
    const theirs = timeCommand(peer, ['-p', 'bench', 'config', '-q'], dir, count === 1000 ? 3 : 5);
    line += `; ${peer} ${fmt(theirs)}, ratio ${(command / theirs).toFixed(2)}`;
  }
  rows.push([`config, ${count} services`, line]);
}

for (const [name, value] of rows) console.log(`${name.padEnd(24)} ${value}`);
if (!peer)
  console.log(
    '(docker-compose not installed: no ratio; apt-get install docker-compose to compare)',
  );
