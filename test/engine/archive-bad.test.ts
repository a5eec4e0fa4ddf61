// image load refuses bad archives with an InvalidError that names the file and the
// entry, and leaves the store as it was: no new blob, no new name, no scratch files.
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidError } from '../../src/errors.js';
import { loadArchive } from '../../src/engine/image/archive/load.js';
import { saveArchive } from '../../src/engine/image/archive/save.js';
import { ImageRepository } from '../../src/engine/image/repository.js';
import type { ImageConfig, ImageIndex, ImageManifest } from '../../src/engine/image/types.js';
import { digestOf } from '../../src/engine/store/digest.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import { buildImage, type BuiltImage } from '../helpers/registry.js';

type Entries = Map<string, Buffer>;

let source: TestEngine;
let target: TestEngine;
let dir: string;
let built: BuiltImage;

test.before.each(async () => {
  source = testEngine();
  target = testEngine();
  dir = mkdtempSync(path.join(tmpdir(), 'tscompose-archive-bad-'));
  built = await buildImage(source.engine, 'app:1', { layers: 2 });
  // The target already holds an image: "unchanged" must mean more than "still empty".
  await buildImage(target.engine, 'kept:1', { layers: 1 });
});
test.after.each(() => {
  source?.dispose();
  target?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Everything a load could change: blobs, images and names, the index, scratch files. */
function stateOf(t: TestEngine) {
  const { engine } = t;
  return {
    blobs: engine.store.list().sort(),
    images: new ImageRepository(engine.db, engine.store)
      .list()
      .map(({ addedAt: _a, ...rest }) => rest),
    index: readFileSync(path.join(engine.store.dir, 'index.json'), 'utf8'),
    tmp: readdirSync(engine.paths.tmp),
    ingest: readdirSync(engine.store.ingestDir),
  };
}

/** Loads `file`, expects an InvalidError whose message holds each of `words`, and no change. */
async function refused(file: string, words: string[]): Promise<InvalidError> {
  const before = stateOf(target);
  let caught: unknown;
  try {
    await loadArchive(target.engine, file);
  } catch (error) {
    caught = error;
  }
  assert.instance(caught, InvalidError, `expected an InvalidError, got ${String(caught)}`);
  const error = caught as InvalidError;
  const text = `${error.message}\nhint: ${error.hint ?? ''}`;
  for (const word of [file, ...words]) assert.match(text, word, `"${word}" in: ${text}`);
  assert.equal(stateOf(target), before);
  return error;
}

async function saved(format: 'docker-archive' | 'oci-archive'): Promise<Entries> {
  const file = path.join(dir, `good-${format}.tar`);
  await saveArchive(source.engine, ['app:1'], file, { format });
  return readTar(file);
}

const blob = (digest: string) => `blobs/sha256/${digest.slice(7)}`;
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

test('random bytes: not a tar archive', async () => {
  const file = path.join(dir, 'random.tar');
  writeFileSync(file, Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919) % 251)));
  await refused(file, ['not a tar archive']);
});

test('a manifest on its own: not a tar, and the message says what it looks like', async () => {
  const file = path.join(dir, 'manifest.json');
  writeFileSync(file, source.engine.store.read(built.manifestDigest));
  await refused(file, ['JSON text']);
});

for (const format of ['docker-archive', 'oci-archive'] as const) {
  test(`${format} truncated in the middle of a layer names the entry`, async () => {
    const file = path.join(dir, 'cut.tar');
    const entries = await saved(format);
    // Put the layers last, so that the cut falls inside one.
    const layer = blob(built.layerDigests[1]!);
    const reordered = new Map([...entries].filter(([name]) => name !== layer));
    reordered.set(layer, entries.get(layer)!);
    writeFileSync(file, await writeTar(reordered));
    truncateSync(file, readFileSync(file).length - 1024 - 100);
    await refused(file, ['truncated or corrupt', layer]);
  });

  test(`${format} gzip-compressed and truncated`, async () => {
    const file = path.join(dir, 'cut.tar.gz');
    const whole = gzipSync(await writeTar(await saved(format)));
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    await refused(file, ['gzip']);
  });

  test(`${format} with a layer whose bytes do not match its digest`, async () => {
    const file = path.join(dir, 'mismatch.tar');
    const entries = await saved(format);
    const layer = blob(built.layerDigests[0]!);
    const bytes = Buffer.from(entries.get(layer)!);
    bytes[bytes.length - 10]! ^= 0xff;
    entries.set(layer, bytes);
    writeFileSync(file, await writeTar(entries));
    await refused(file, [layer, 'does not match its digest']);
  });

  test(`${format} without its image config`, async () => {
    const file = path.join(dir, 'no-config.tar');
    const entries = await saved(format);
    entries.delete(blob(built.configDigest));
    writeFileSync(file, await writeTar(entries));
    await refused(file, [blob(built.configDigest), 'does not contain it']);
  });

  test(`${format} whose config names other diff IDs than its layers hash to`, async () => {
    const file = path.join(dir, 'diff-id.tar');
    const entries = await saved(format);
    const config = JSON.parse(entries.get(blob(built.configDigest))!.toString()) as ImageConfig;
    config.rootfs.diff_ids[1] = digestOf('something else');
    rewriteConfig(entries, json(config), format);
    writeFileSync(file, await writeTar(entries));
    await refused(file, [
      blob(built.layerDigests[1]!).slice(-64),
      'does not match its image config',
    ]);
  });

  test(`${format} with an entry that leaves the archive`, async () => {
    const file = path.join(dir, 'escape.tar');
    const entries = await saved(format);
    entries.set('../../etc/evil', Buffer.from('x'));
    writeFileSync(file, await writeTar(entries));
    await refused(file, ['../../etc/evil', 'leaves the archive']);
  });
}

test('oci-archive with a layer of an unknown media type', async () => {
  const file = path.join(dir, 'media.tar');
  const entries = await saved('oci-archive');
  const manifest = JSON.parse(entries.get(blob(built.manifestDigest))!.toString()) as ImageManifest;
  manifest.layers[0]!.mediaType = 'application/vnd.example.layer.v1.tar+lz4';
  replaceManifest(entries, json(manifest));
  writeFileSync(file, await writeTar(entries));
  await refused(file, ['application/vnd.example.layer.v1.tar+lz4', 'does not know']);
});

test('oci-archive with a config of an unknown media type', async () => {
  const file = path.join(dir, 'config-media.tar');
  const entries = await saved('oci-archive');
  const manifest = JSON.parse(entries.get(blob(built.manifestDigest))!.toString()) as ImageManifest;
  manifest.config.mediaType = 'application/vnd.example.config+json';
  replaceManifest(entries, json(manifest));
  writeFileSync(file, await writeTar(entries));
  await refused(file, ['application/vnd.example.config+json']);
});

test('oci-archive whose index names something that is not an image', async () => {
  const file = path.join(dir, 'index-media.tar');
  const entries = await saved('oci-archive');
  const index = JSON.parse(entries.get('index.json')!.toString()) as ImageIndex;
  index.manifests[0]!.mediaType = 'application/vnd.example.artifact';
  entries.set('index.json', json(index));
  writeFileSync(file, await writeTar(entries));
  await refused(file, ['index.json manifests[0]', 'application/vnd.example.artifact']);
});

test('docker-archive whose manifest.json is not a list of images', async () => {
  const file = path.join(dir, 'manifest-json.tar');
  const entries = await saved('docker-archive');
  entries.set('manifest.json', json({ Config: 'x' }));
  writeFileSync(file, await writeTar(entries));
  await refused(file, ['manifest.json', 'not a list of images']);
});

test('docker-archive whose config is not JSON', async () => {
  const file = path.join(dir, 'config-json.tar');
  const entries = await saved('docker-archive');
  // Named by its own digest, so only the JSON is wrong.
  const garbage = Buffer.from('{"architecture": "amd64", ');
  entries.set(blob(digestOf(garbage)), garbage);
  const items = JSON.parse(entries.get('manifest.json')!.toString()) as { Config: string }[];
  items[0]!.Config = blob(digestOf(garbage));
  entries.set('manifest.json', json(items));
  writeFileSync(file, await writeTar(entries));
  await refused(file, [blob(digestOf(garbage)), 'not valid JSON']);
});

test('a tar that is not an image archive says what it has', async () => {
  const file = path.join(dir, 'rootfs.tar');
  writeFileSync(
    file,
    await writeTar(new Map([['etc/passwd', Buffer.from('root:x:0:0::/:/bin/sh\n')]])),
  );
  await refused(file, ['not an image archive', 'etc/passwd']);
});

/** A new config blob, and the manifest (and the docker-archive's manifest.json) pointing at it. */
function rewriteConfig(entries: Entries, config: Buffer, format: string): void {
  entries.delete(blob(built.configDigest));
  entries.set(blob(digestOf(config)), config);
  const manifest = JSON.parse(entries.get(blob(built.manifestDigest))!.toString()) as ImageManifest;
  manifest.config = { ...manifest.config, digest: digestOf(config), size: config.length };
  replaceManifest(entries, json(manifest));
  if (format === 'docker-archive') {
    const items = JSON.parse(entries.get('manifest.json')!.toString()) as { Config: string }[];
    items[0]!.Config = blob(digestOf(config));
    entries.set('manifest.json', json(items));
  }
}

/** A new manifest blob, and index.json pointing at it. */
function replaceManifest(entries: Entries, manifest: Buffer): void {
  entries.delete(blob(built.manifestDigest));
  entries.set(blob(digestOf(manifest)), manifest);
  const index = JSON.parse(entries.get('index.json')!.toString()) as ImageIndex;
  for (const entry of index.manifests) {
    entry.digest = digestOf(manifest);
    entry.size = manifest.length;
  }
  entries.set('index.json', json(index));
}

async function readTar(file: string): Promise<Entries> {
  const entries: Entries = new Map();
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      if (entry.header.type === 'file') entries.set(entry.header.name, Buffer.concat(chunks));
    }
  })();
  extract.end(readFileSync(file));
  await reading;
  return entries;
}

function writeTar(entries: Entries): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const [name, data] of entries) pack.entry({ name, mtime: new Date(0) }, data);
  pack.finalize();
  return done;
}

test.run();
