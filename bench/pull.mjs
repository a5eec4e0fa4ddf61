// Pull benchmark: a multi-layer image from a local docker-registry (Debian's, on
// 127.0.0.1) into an empty store, by tscompose and by `skopeo copy docker://… oci:…` in
// the same run, alternating, and the ratio of the medians. Run after `npm run build`:
//   node bench/pull.mjs [--layers 10] [--mib 64] [--runs 5]
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (file) => import(path.join(root, 'dist', file));
const { Engine } = await dist('engine/engine.js');
const { ImageRepository } = await dist('engine/image/repository.js');
const { parseReference } = await dist('engine/image/reference.js');
const { MEDIA } = await dist('engine/image/types.js');
const { digestOf } = await dist('engine/store/digest.js');
const { pullImage } = await dist('engine/registry/pull.js');
const { pushImage } = await dist('engine/registry/push.js');

const { values } = parseArgs({
  options: {
    layers: { type: 'string', default: '10' },
    mib: { type: 'string', default: '64' },
    runs: { type: 'string', default: '5' },
  },
});
const layers = Number(values.layers);
const totalBytes = Number(values.mib) * 1024 * 1024;
const runs = Number(values.runs);

const work = mkdtempSync(path.join(tmpdir(), 'tscompose-bench-pull-'));
let registry;
const cleanUp = () => {
  // The registry is ours, stopped by its pid.
  if (registry?.exitCode === null) process.kill(registry.pid, 'SIGKILL');
  rmSync(work, { recursive: true, force: true });
};
process.on('exit', cleanUp);
process.on('SIGINT', () => process.exit(130));

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

async function startRegistry() {
  const port = await freePort();
  const config = path.join(work, 'registry.yml');
  writeFileSync(
    config,
    JSON.stringify({
      version: 0.1,
      log: { level: 'error', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: path.join(work, 'registry') } },
      http: { addr: `127.0.0.1:${port}` },
    }),
  );
  registry = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (registry.exitCode !== null) throw new Error('docker-registry exited');
    const status = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return `127.0.0.1:${port}`;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('docker-registry did not answer in 15 s');
}

function tarOf(name, data) {
  const pack = tar.pack();
  const chunks = [];
  pack.on('data', (chunk) => chunks.push(chunk));
  const done = new Promise((resolve) => pack.on('end', () => resolve(Buffer.concat(chunks))));
  pack.entry({ name, size: data.length }, data);
  pack.finalize();
  return done;
}

/** Layers of random (incompressible) bytes, sizes from small to large, as real images. */
async function buildImage(engine) {
  const weights = Array.from({ length: layers }, (_, i) => i + 1);
  const sum = weights.reduce((a, b) => a + b, 0);
  const descriptors = [];
  const diffIds = [];
  for (const weight of weights) {
    const tarball = await tarOf('data.bin', randomBytes(Math.floor((totalBytes * weight) / sum)));
    diffIds.push(digestOf(tarball));
    const written = engine.store.put(gzipSync(tarball, { level: 1 }));
    descriptors.push({ mediaType: MEDIA.ociLayerGzip, ...written });
  }
  const config = engine.store.putJson({
    os: 'linux',
    architecture: 'amd64',
    rootfs: { type: 'layers', diff_ids: diffIds },
  });
  const manifest = engine.store.putJson({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, ...config },
    layers: descriptors,
  });
  const images = new ImageRepository(engine.db, engine.store);
  const image = images.record(manifest.digest);
  images.tag(parseReference('bench:1'), image.id);
  return descriptors.reduce((total, d) => total + d.size, 0);
}

function freshEngine(name) {
  const dir = path.join(work, name);
  return Engine.open({ root: path.join(dir, 'lib'), runRoot: path.join(dir, 'run') });
}

function median(list) {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const domain = await startRegistry();
const source = freshEngine('source');
const bytes = await buildImage(source);
const name = `${domain}/bench/app:1`;
await pushImage(source, 'bench:1', name);
source.close();

const times = { tscompose: [], skopeo: [] };
for (let run = 0; run < runs; run += 1) {
  const engine = freshEngine(`pull-${run}`);
  let start = performance.now();
  await pullImage(engine, name);
  times.tscompose.push(performance.now() - start);
  engine.close();

  const dest = path.join(work, `skopeo-${run}`);
  start = performance.now();
  execFileSync('skopeo', [
    'copy',
    '-q',
    '--src-tls-verify=false',
    `docker://${name}`,
    `oci:${dest}:app`,
  ]);
  times.skopeo.push(performance.now() - start);
}

const mib = (bytes / 1024 / 1024).toFixed(1);
const ours = median(times.tscompose);
const theirs = median(times.skopeo);
const rate = (ms) => `${(bytes / 1024 / 1024 / (ms / 1000)).toFixed(0)} MiB/s`;
console.log(
  `pull of ${layers} layers, ${mib} MiB (gzip), median of ${runs} runs, loopback registry`,
);
console.log(`  tscompose (in process)  ${ours.toFixed(0).padStart(6)} ms  ${rate(ours)}`);
console.log(`  skopeo copy (process)   ${theirs.toFixed(0).padStart(6)} ms  ${rate(theirs)}`);
console.log(`  ratio tscompose / skopeo: ${(ours / theirs).toFixed(2)}`);
