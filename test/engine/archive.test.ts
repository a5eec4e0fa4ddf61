// image save and image load: round trips through both archive formats, compressed
// archives, and the docker save layout from before Docker 25, built here by hand.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadArchive } from '../../src/engine/image/archive/load.js';
import { saveArchive } from '../../src/engine/image/archive/save.js';
import { ImageRepository } from '../../src/engine/image/repository.js';
import { MEDIA, type ImageManifest } from '../../src/engine/image/types.js';
import { digestOf } from '../../src/engine/store/digest.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import { buildImage, type BuiltImage } from '../helpers/registry.js';
import { commandRuns, whenMet } from '../helpers/requirements.js';

let source: TestEngine;
let target: TestEngine;
let dir: string;

test.before.each(() => {
  source = testEngine();
  target = testEngine();
  dir = mkdtempSync(path.join(tmpdir(), 'tscompose-archive-'));
});
test.after.each(() => {
  source?.dispose();
  target?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function sameImage(built: BuiltImage, engine = target.engine): void {
  const images = new ImageRepository(engine.db, engine.store);
  const record = images.get(built.id);
  assert.ok(record, `image ${built.id} was loaded`);
  assert.is(record.manifestDigest, built.manifestDigest);
  for (const digest of [built.manifestDigest, built.configDigest, ...built.layerDigests])
    assert.equal(engine.store.read(digest), source.engine.store.read(digest), digest);
}

for (const format of ['docker-archive', 'oci-archive'] as const) {
  for (const manifests of ['oci', 'docker'] as const) {
    test(`${format} of an image with ${manifests} media types: save then load keeps every digest`, async () => {
      const built = await buildImage(source.engine, 'team/app:1', { layers: 3, format: manifests });
      const file = path.join(dir, 'app.tar');
      await saveArchive(source.engine, ['team/app:1'], file, { format });

      const loaded = await loadArchive(target.engine, file);

      assert.is(loaded.format, format);
      assert.equal(loaded.images, [{ id: built.id, refs: ['docker.io/team/app:1'] }]);
      sameImage(built);
      const images = new ImageRepository(target.engine.db, target.engine.store);
      assert.is(images.resolve('team/app:1').id, built.id);
    });
  }
}

test('several images and names in one archive; saving is the same bytes twice', async () => {
  const a = await buildImage(source.engine, 'a:1', { layers: 1 });
  const b = await buildImage(source.engine, 'b:1', { layers: 2 });
  const images = new ImageRepository(source.engine.db, source.engine.store);
  images.tag({ domain: 'docker.io', path: 'library/a', tag: 'latest' }, a.id);
  const first = path.join(dir, 'one.tar');
  const second = path.join(dir, 'two.tar');
  await saveArchive(source.engine, ['a', 'b:1'], first);
  await saveArchive(source.engine, ['a', 'b:1'], second);
  assert.equal(readFileSync(first), readFileSync(second));

  const loaded = await loadArchive(target.engine, first);

  const byId = Object.fromEntries(loaded.images.map((image) => [image.id, image.refs.sort()]));
  assert.equal(byId[a.id], ['docker.io/library/a:1', 'docker.io/library/a:latest']);
  assert.equal(byId[b.id], ['docker.io/library/b:1']);
  sameImage(a);
  sameImage(b);
});

test('an image saved by ID loads without a name, as docker load does', async () => {
  const built = await buildImage(source.engine, 'app:1');
  const file = path.join(dir, 'by-id.tar');
  await saveArchive(source.engine, [built.id.slice(7, 19)], file, { format: 'oci-archive' });
  const loaded = await loadArchive(target.engine, file);
  assert.equal(loaded.images, [{ id: built.id, refs: [] }]);
  sameImage(built);
});

test('a gzip-compressed archive loads like the plain one', async () => {
  const built = await buildImage(source.engine, 'app:1');
  const file = path.join(dir, 'app.tar');
  await saveArchive(source.engine, ['app:1'], file);
  writeFileSync(`${file}.gz`, gzipSync(readFileSync(file)));
  const loaded = await loadArchive(target.engine, `${file}.gz`);
  assert.equal(loaded.images, [{ id: built.id, refs: ['docker.io/library/app:1'] }]);
  sameImage(built);
});

whenMet(test, commandRuns('zstd', ['--version'], 'zstd compresses the archive'), () => {
  test('a zstd-compressed archive loads like the plain one', async () => {
    const built = await buildImage(source.engine, 'app:1');
    const file = path.join(dir, 'app.tar');
    await saveArchive(source.engine, ['app:1'], file, { format: 'oci-archive' });
    execFileSync('zstd', ['-q', file, '-o', `${file}.zst`]);
    const loaded = await loadArchive(target.engine, `${file}.zst`);
    assert.equal(loaded.images, [{ id: built.id, refs: ['docker.io/library/app:1'] }]);
    sameImage(built);
  });
});

test('the docker save layout before Docker 25 (<id>/layer.tar, <hex>.json) loads', async () => {
  const layer = await tarOf([{ name: 'etc/hostname', data: 'legacy\n' }]);
  const diffId = digestOf(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
    }),
  );
  const configHex = digestOf(config).slice(7);
  const v1 = 'a'.repeat(64);
  const file = path.join(dir, 'legacy.tar');
  writeFileSync(
    file,
    await tarOf([
      { name: `${v1}/VERSION`, data: '1.0' },
      { name: `${v1}/json`, data: JSON.stringify({ id: v1 }) },
      { name: `${v1}/layer.tar`, data: layer },
      { name: `${configHex}.json`, data: config },
      {
        name: 'manifest.json',
        data: JSON.stringify([
          { Config: `${configHex}.json`, RepoTags: ['legacy:1'], Layers: [`${v1}/layer.tar`] },
        ]),
      },
      { name: 'repositories', data: JSON.stringify({ legacy: { '1': v1 } }) },
    ]),
  );

  const loaded = await loadArchive(target.engine, file);

  assert.equal(loaded.images, [
    { id: `sha256:${configHex}`, refs: ['docker.io/library/legacy:1'] },
  ]);
  const record = new ImageRepository(target.engine.db, target.engine.store).resolve('legacy:1');
  const manifest = target.engine.store.readJson<ImageManifest>(record.manifestDigest);
  // The archive has no manifest: the one made for it names the layer as stored, uncompressed.
  assert.equal(manifest.layers, [
    { mediaType: MEDIA.ociLayer, digest: diffId, size: layer.length },
  ]);
  assert.equal(target.engine.store.read(diffId), layer);
});

test('an oci-archive holding a multi-platform index loads the host platform', async () => {
  const amd = await buildImage(source.engine, 'multi:amd64', {
    platform: { os: 'linux', architecture: 'amd64' },
  });
  const arm = await buildImage(source.engine, 'multi:arm64', {
    platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
  });
  const entries = [];
  for (const built of [amd, arm]) {
    for (const digest of [built.manifestDigest, built.configDigest, ...built.layerDigests])
      entries.push({
        name: `blobs/sha256/${digest.slice(7)}`,
        data: source.engine.store.read(digest),
      });
  }
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [amd, arm].map((built) => ({
        mediaType: MEDIA.ociManifest,
        digest: built.manifestDigest,
        size: built.manifestSize,
        platform: built.platform,
      })),
    }),
  );
  entries.push({ name: `blobs/sha256/${digestOf(index).slice(7)}`, data: index });
  entries.push({ name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' });
  entries.push({
    name: 'index.json',
    data: JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: MEDIA.ociIndex,
          digest: digestOf(index),
          size: index.length,
          annotations: { 'org.opencontainers.image.ref.name': 'example.com/multi:1' },
        },
      ],
    }),
  });
  const file = path.join(dir, 'multi.tar');
  writeFileSync(file, await tarOf(entries));

  const arm64 = await loadArchive(target.engine, file, {
    platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
  });

  assert.equal(arm64.images, [{ id: arm.id, refs: ['example.com/multi:1'] }]);
  const record = new ImageRepository(target.engine.db, target.engine.store).get(arm.id);
  assert.is(record?.indexDigest, digestOf(index));
  assert.is(record?.platform, 'linux/arm64/v8');
});

function tarOf(entries: { name: string; data: Buffer | string }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const { name, data } of entries) pack.entry({ name, mtime: new Date(0) }, data);
  pack.finalize();
  return done;
}

test.run();
