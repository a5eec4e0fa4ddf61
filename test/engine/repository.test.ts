// Images and their names: record, tag, resolve, remove and collect, with index.json kept
// in step with the database.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConflictError, NotFoundError } from '../../src/errors.js';
import { parseReference } from '../../src/engine/image/reference.js';
import { chooseManifest, ImageRepository } from '../../src/engine/image/repository.js';
import { MEDIA, type ImageIndex } from '../../src/engine/image/types.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';

let t: TestEngine;
let images: ImageRepository;
test.before.each(() => {
  t = testEngine();
  images = new ImageRepository(t.engine.db, t.engine.store);
});
test.after.each(() => t.dispose());

/** A tiny image written straight into the store: one layer of the given text. */
function makeImage(text: string): string {
  const { store } = t.engine;
  const layer = store.put(`layer:${text}`);
  const config = store.putJson({
    architecture: 'amd64',
    os: 'linux',
    created: '2026-01-01T00:00:00Z',
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  });
  const manifest = store.putJson({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, ...config },
    layers: [{ mediaType: MEDIA.ociLayer, ...layer }],
  });
  return manifest.digest;
}

function indexJson(): ImageIndex {
  return JSON.parse(readFileSync(path.join(t.engine.paths.store, 'index.json'), 'utf8'));
}

test('a recorded image can be named, found and listed', () => {
  const image = images.record(makeImage('a'));
  images.tag(parseReference('app:1'), image.id);
  assert.is(images.resolve('app:1').id, image.id);
  assert.is(images.resolve('docker.io/library/app:1').id, image.id);
  assert.is(images.resolve(image.id.slice(7, 19)).id, image.id, 'by ID prefix');
  assert.is(images.resolve(`app@${image.manifestDigest}`).id, image.id, 'by manifest digest');
  assert.equal(
    images.list().map((i) => i.refs),
    [['docker.io/library/app:1']],
  );
  assert.is(image.platform, 'linux/amd64');
});

test('index.json names every tag, for skopeo and umoci', () => {
  const image = images.record(makeImage('a'));
  images.tag(parseReference('app:1'), image.id);
  images.tag(parseReference('app:latest'), image.id);
  const names = indexJson().manifests.map(
    (m) => m.annotations?.['org.opencontainers.image.ref.name'],
  );
  assert.equal(names, ['docker.io/library/app:1', 'docker.io/library/app:latest']);
  assert.is(indexJson().manifests[0]!.digest, image.manifestDigest);
});

test('removing one of two names keeps the image; the last name takes it and its blobs', () => {
  const image = images.record(makeImage('a'));
  images.tag(parseReference('app:1'), image.id);
  images.tag(parseReference('app:2'), image.id);
  assert.equal(images.remove('app:1'), { untagged: ['docker.io/library/app:1'], deleted: [] });
  assert.ok(t.engine.store.has(image.manifestDigest));
  assert.equal(images.remove('app:2'), {
    untagged: ['docker.io/library/app:2'],
    deleted: [image.id],
  });
  assert.equal(t.engine.store.list(), [], 'manifest, config and layer are gone');
  assert.equal(indexJson().manifests, []);
});

test('removing by ID an image with several names needs force', () => {
  const image = images.record(makeImage('a'));
  images.tag(parseReference('app:1'), image.id);
  images.tag(parseReference('other:1'), image.id);
  assert.throws(
    () => images.remove(image.id),
    (e: unknown) => e instanceof ConflictError,
  );
  assert.is(images.remove(image.id, { force: true }).deleted.length, 1);
});

test('blobs shared with another image survive its removal', () => {
  const a = images.record(makeImage('shared'));
  images.tag(parseReference('a:1'), a.id);
  const { store } = t.engine;
  const layer = store.readJson<{ layers: { digest: string }[] }>(a.manifestDigest).layers[0]!
    .digest;
  const config = store.putJson({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [layer] },
    created: '2026-02-01T00:00:00Z',
  });
  const manifest = store.putJson({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, ...config },
    layers: [{ mediaType: MEDIA.ociLayer, digest: layer, size: store.size(layer)! }],
  });
  const b = images.record(manifest.digest);
  images.tag(parseReference('b:1'), b.id);
  images.remove('a:1');
  assert.ok(store.has(layer), 'b still needs the layer');
});

test('prune removes dangling images; unknown names are NotFound with a hint', () => {
  const kept = images.record(makeImage('kept'));
  images.tag(parseReference('kept:1'), kept.id);
  const dangling = images.record(makeImage('dangling'));
  const result = images.prune();
  assert.equal(result.deleted, [dangling.id]);
  assert.throws(
    () => images.resolve('nope:1'),
    (e: unknown) =>
      e instanceof NotFoundError && /image bootstrap/.test((e as NotFoundError).hint ?? ''),
  );
});

test('an index gives the host platform and never an attestation', () => {
  const d = (digest: string, architecture: string, extra = {}) => ({
    mediaType: MEDIA.ociManifest,
    digest,
    size: 1,
    platform: { os: 'linux', architecture },
    ...extra,
  });
  const index: ImageIndex = {
    schemaVersion: 2,
    manifests: [
      d('sha256:att', 'unknown', {
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
      }),
      d('sha256:arm', 'arm64'),
      d('sha256:amd', 'amd64'),
    ],
  };
  assert.is(chooseManifest(index, { os: 'linux', architecture: 'amd64' })?.digest, 'sha256:amd');
  assert.is(chooseManifest(index, { os: 'linux', architecture: 's390x' }), undefined);
});

test.run();
