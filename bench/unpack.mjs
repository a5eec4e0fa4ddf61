// Unpack benchmark: one generated layer (about 200 MB in many files of mixed sizes, plain
// and gzip) unpacked by the engine and by GNU `tar -x` in the same run, alternating which
// goes first, and the ratio of the median throughputs. Run as root after `npm run build`:
//   node bench/unpack.mjs [--mib 200] [--runs 3]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';

const root = fileURLToPath(new URL('..', import.meta.url));
const { unpackLayer } = await import(path.join(root, 'dist/engine/snapshot/unpack.js'));

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
  },
});
const totalBytes = Number(values.mib) * 1024 * 1024;
const runs = Number(values.runs);

if (process.getuid?.() !== 0) {
  console.error('bench/unpack.mjs: run as root (both sides set owners, as an engine must)');
  process.exit(1);
}

// Under /var/tmp, not /tmp: both sides write to the same disk, and /tmp may be a tmpfs.
const work = mkdtempSync(path.join(process.env.TMPDIR ?? '/var/tmp', 'tscompose-bench-unpack-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
process.on('SIGINT', () => process.exit(130));

/**
 * Sizes as a node_modules-heavy image has them: mostly small files, some medium ones, a few
 * large ones carrying most of the bytes. Contents are half random, half text, so gzip
 * neither shrinks them to nothing nor gives up on them.
 */
function* layerEntries(bytes) {
  const noise = randomBytes(1 << 20).toString('base64');
  let written = 0;
  let i = 0;
  while (written < bytes) {
    const roll = i % 100;
    const size = roll < 85 ? 512 + ((i * 7919) % 8192) : roll < 99 ? 65536 : 4 << 20;
    const start = (i * 104729) % (noise.length - size);
    const body = Buffer.from(noise.slice(start, start + size / 2) + 'x'.repeat(size / 2));
    const dir = `usr/lib/pkg${i % 400}/sub${i % 7}`;
    if (i < 2800) yield { header: { name: `${dir}/`, type: 'directory', mode: 0o755 } };
    yield { header: { name: `${dir}/file${i}.js`, mode: 0o644, uid: 1000, gid: 1000 }, body };
    if (i % 50 === 0)
      yield {
        header: { name: `bin/link${i}`, type: 'symlink', linkname: `../${dir}/file${i}.js` },
      };
    written += body.length;
    i += 1;
  }
}

async function writeLayer(file) {
  const pack = tar.pack();
  const done = pipeline(pack, createWriteStream(file));
  let files = 0;
  for (const { header, body } of layerEntries(totalBytes)) {
    if (header.type === undefined) files += 1;
    await new Promise((resolve, reject) =>
      pack.entry(header, body, (error) => (error ? reject(error) : resolve())),
    );
  }
  pack.finalize();
  await done;
  return files;
}

async function timed(action) {
  const start = performance.now();
  await action();
  return (performance.now() - start) / 1000;
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const mbps = (seconds) => totalMiB / seconds;

const plainFile = path.join(work, 'layer.tar');
const gzipFile = path.join(work, 'layer.tar.gz');
const files = await writeLayer(plainFile);
await pipeline(createReadStream(plainFile), createGzip({ level: 1 }), createWriteStream(gzipFile));
const totalMiB = statSync(plainFile).size / (1024 * 1024);
console.log(
  `layer: ${files} files, ${totalMiB.toFixed(0)} MiB as a tar, ` +
    `${(statSync(gzipFile).size / (1024 * 1024)).toFixed(0)} MiB gzipped; ${runs} runs each`,
);
console.log('throughput is MiB of uncompressed tar per second (median); ratio = engine ÷ tar\n');

const layer = `sha256:${'0'.repeat(64)}`;
const sides = {
  'GNU tar': async (blob, dest, gzip) => {
    mkdirSync(dest);
    execFileSync('tar', [gzip ? '-xzf' : '-xf', blob, '-C', dest]);
  },
  engine: async (blob, dest) => {
    await unpackLayer(createReadStream(blob, { highWaterMark: 1 << 20 }), dest, { layer });
  },
};

for (const [format, blob, gzip] of [
  ['plain', plainFile, false],
  ['gzip', gzipFile, true],
]) {
  const seconds = { 'GNU tar': [], engine: [] };
  for (let run = 0; run < runs; run += 1) {
    // Alternate who goes first: a file system reuses freshly freed inodes faster.
    const order = run % 2 === 0 ? ['GNU tar', 'engine'] : ['engine', 'GNU tar'];
    for (const side of order) {
      const dest = path.join(work, `out-${side.replace(' ', '-')}`);
      seconds[side].push(await timed(() => sides[side](blob, dest, gzip)));
      rmSync(dest, { recursive: true, force: true });
    }
  }
  const tarRate = mbps(median(seconds['GNU tar']));
  const engineRate = mbps(median(seconds.engine));
  console.log(
    `${format.padEnd(6)} GNU tar ${tarRate.toFixed(0).padStart(5)} MiB/s   ` +
      `engine ${engineRate.toFixed(0).padStart(5)} MiB/s   ratio ${(engineRate / tarRate).toFixed(2)}`,
  );
}
