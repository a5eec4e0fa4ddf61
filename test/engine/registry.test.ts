// Push to and pull from a real docker-registry (distribution 2.8) on 127.0.0.1, no auth:
// every digest that comes back into an empty store must be the one that went out.
import { readdirSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NotFoundError, UnsupportedError } from '../../src/errors.js';
import { formatPlatform, hostPlatform } from '../../src/engine/image/platform.js';
import { ImageRepository } from '../../src/engine/image/repository.js';
import { MEDIA, type Platform } from '../../src/engine/image/types.js';
import { digestOf } from '../../src/engine/store/digest.js';
import type { ProgressEvent } from '../../src/engine/registry/progress.js';
import { pullImage } from '../../src/engine/registry/pull.js';
import { pushImage } from '../../src/engine/registry/push.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import { buildImage, startRegistry, type BuiltImage, type Registry } from '../helpers/registry.js';
import { commandRuns, whenMet } from '../helpers/requirements.js';

const requirement = commandRuns(
  'docker-registry',
  ['--version'],
  'these tests run a real registry',
);

let registry: Registry;
let source: TestEngine;
let target: TestEngine;

test.before(async () => {
  if (requirement.met) registry = await startRegistry();
});
test.after(async () => {
  await registry?.stop();
});
test.before.each(() => {
  source = testEngine();
  target = testEngine();
});
test.after.each(() => {
  source?.dispose();
  target?.dispose();
});

function assertSameBlobs(built: BuiltImage) {
  for (const digest of [built.manifestDigest, built.configDigest, ...built.layerDigests]) {
    assert.ok(target.engine.store.has(digest), `${digest} is in the new store`);
    assert.equal(target.engine.store.read(digest), source.engine.store.read(digest));
  }
}

/** Puts a blob or a manifest straight into the registry, for shapes tscompose won't push. */
async function upload(repository: string, data: Buffer): Promise<string> {
  const base = `http://${registry.domain}/v2/${repository}`;
  const started = await fetch(`${base}/blobs/uploads/`, { method: 'POST' });
  const location = new URL(started.headers.get('location')!, base);
  location.searchParams.set('digest', digestOf(data));
  const put = await fetch(location, { method: 'PUT', body: data });
  assert.is(put.status, 201, `blob upload: ${await put.text()}`);
  return digestOf(data);
}

async function putManifest(repository: string, tag: string, mediaType: string, body: object) {
  const bytes = Buffer.from(JSON.stringify(body));
  const response = await fetch(`http://${registry.domain}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body: bytes,
  });
  assert.is(response.status, 201, `manifest upload: ${await response.text()}`);
  return { mediaType, digest: digestOf(bytes), size: bytes.length };
}

whenMet(test, requirement, () => {
  test('an OCI image pushed and pulled into an empty store keeps every digest', async () => {
    const built = await buildImage(source.engine, 'app:1', { layers: 3 });
    const name = `${registry.domain}/team/app:1`;
    const pushed = await pushImage(source.engine, 'app:1', name);
    assert.equal(pushed, { digest: built.manifestDigest, size: built.manifestSize, ref: name });

    const events: ProgressEvent[] = [];
    const pulled = await pullImage(target.engine, name, { onProgress: (e) => events.push(e) });
    assert.is(pulled.digest, built.manifestDigest);
    assert.is(pulled.ref, name);
    assert.is(pulled.image.id, built.configDigest);
    assert.is(pulled.image.manifestDigest, built.manifestDigest);
    assertSameBlobs(built);
    const images = new ImageRepository(target.engine.db, target.engine.store);
    assert.is(images.resolve(name).id, built.id);
    assert.is(images.resolve(`${registry.domain}/team/app@${built.manifestDigest}`).id, built.id);

    const done = events.filter((e) => e.type === 'blob' && e.phase === 'done');
    assert.equal(
      done.map((e) => e.type === 'blob' && e.digest).sort(),
      [built.configDigest, ...built.layerDigests].sort(),
    );
    const last = events.at(-1)!;
    assert.is(last.type, 'done');
    assert.ok(last.type === 'done' && last.transferred > 3 * 64 * 1024);
  });

  test('a Docker schema 2 image makes the round trip too, one blob at a time', async () => {
    const built = await buildImage(source.engine, 'app:docker', { format: 'docker' });
    const name = `${registry.domain}/team/docker:v2`;
    await pushImage(source.engine, built.id, name, { concurrency: 1 });
    const pulled = await pullImage(target.engine, name, { concurrency: 1 });
    assert.is(pulled.image.manifestMediaType, MEDIA.dockerManifest);
    assertSameBlobs(built);
  });

  test('pulling an image the store has downloads nothing', async () => {
    await buildImage(source.engine, 'app:1');
    const name = `${registry.domain}/team/again:1`;
    await pushImage(source.engine, 'app:1', name);
    await pullImage(target.engine, name);
    const events: ProgressEvent[] = [];
    await pullImage(target.engine, name, { onProgress: (e) => events.push(e) });
    const phases = events.flatMap((e) => (e.type === 'blob' ? [e.phase] : []));
    assert.equal(phases, ['exists', 'exists', 'exists']);
    const last = events.at(-1);
    assert.ok(last?.type === 'done' && last.transferred === 0, 'nothing was transferred');
  });

  test('a second push skips what the registry has; another repository mounts it', async () => {
    const built = await buildImage(source.engine, 'app:1', { layers: 2 });
    await pushImage(source.engine, 'app:1', `${registry.domain}/team/first:1`);
    const phases = async (name: string) => {
      const events: ProgressEvent[] = [];
      await pushImage(source.engine, 'app:1', name, { onProgress: (e) => events.push(e) });
      return events.flatMap((e) => (e.type === 'blob' && e.phase !== 'uploading' ? [e.phase] : []));
    };
    assert.equal(await phases(`${registry.domain}/team/first:2`), ['exists', 'exists', 'exists']);
    assert.equal(await phases(`${registry.domain}/other/second:1`), [
      'mounted',
      'mounted',
      'mounted',
    ]);
    await pullImage(target.engine, `${registry.domain}/other/second:1`);
    assertSameBlobs(built);
  });

  test('a blob over the threshold goes up in PATCH chunks', async () => {
    const built = await buildImage(source.engine, 'app:big', { layers: 1, layerSize: 50_000 });
    const events: ProgressEvent[] = [];
    await pushImage(source.engine, 'app:big', `${registry.domain}/team/chunked:1`, {
      chunkThreshold: 10_000,
      chunkSize: 8_192,
      onProgress: (e) => events.push(e),
    });
    const layer = built.layerDigests[0]!;
    const steps = events.flatMap((e) =>
      e.type === 'blob' && e.digest === layer && e.phase === 'uploading' ? [e.current] : [],
    );
    assert.ok(steps.length >= 6, `${steps.length} chunks`);
    assert.equal(steps.slice(0, 2), [8_192, 16_384]);
    await pullImage(target.engine, `${registry.domain}/team/chunked:1`);
    assertSameBlobs(built);
  });

  test('an index pulls the host platform, skips attestations and refuses a platform it lacks', async () => {
    const host = hostPlatform();
    const other: Platform =
      host.architecture === 'arm64'
        ? { os: 'linux', architecture: 'amd64' }
        : { os: 'linux', architecture: 'arm64', variant: 'v8' };
    const repo = `${registry.domain}/team/multi`;
    const images = {
      host: await buildImage(source.engine, 'multi:host', { platform: host }),
      other: await buildImage(source.engine, 'multi:other', { platform: other }),
      attestation: await buildImage(source.engine, 'multi:attestation', {
        platform: { os: 'unknown', architecture: 'unknown' },
        layers: 1,
      }),
    };
    for (const tag of Object.keys(images))
      await pushImage(source.engine, `multi:${tag}`, `${repo}:${tag}`);
    const entry = (
      image: BuiltImage,
      platform: Platform,
      annotations?: Record<string, string>,
    ) => ({
      mediaType: MEDIA.ociManifest,
      digest: image.manifestDigest,
      size: image.manifestSize,
      platform,
      ...(annotations ? { annotations } : {}),
    });
    const index = await putManifest('team/multi', 'latest', MEDIA.ociIndex, {
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [
        entry(
          images.attestation,
          { os: 'unknown', architecture: 'unknown' },
          {
            'vnd.docker.reference.type': 'attestation-manifest',
            'vnd.docker.reference.digest': images.host.manifestDigest,
          },
        ),
        entry(images.other, other),
        entry(images.host, host),
      ],
    });

    const pulled = await pullImage(target.engine, `${repo}:latest`);
    assert.is(pulled.digest, index.digest);
    assert.is(pulled.image.manifestDigest, images.host.manifestDigest);
    assert.is(pulled.image.indexDigest, index.digest);
    assert.is(pulled.image.platform, formatPlatform(host));
    assert.ok(target.engine.store.has(index.digest));
    assert.not.ok(target.engine.store.has(images.attestation.manifestDigest));

    const chosen = await pullImage(target.engine, `${repo}:latest`, { platform: other });
    assert.is(chosen.image.id, images.other.id);

    const before = target.engine.store.list().length;
    const error = await pullImage(target.engine, `${repo}:latest`, {
      platform: { os: 'linux', architecture: 's390x' },
    }).catch((e: unknown) => e);
    assert.instance(error, NotFoundError);
    const { message, hint } = error as NotFoundError;
    assert.is(message, `${repo}:latest has no image for linux/s390x`);
    assert.is(
      hint,
      `it has ${formatPlatform(other)}, ${formatPlatform(host)}; choose one with --platform`,
    );
    assert.is(target.engine.store.list().length, before);
  });

  test('a single-platform image refuses an explicit other platform', async () => {
    await buildImage(source.engine, 'app:1', { platform: { os: 'linux', architecture: 'amd64' } });
    const name = `${registry.domain}/team/single:1`;
    await pushImage(source.engine, 'app:1', name);
    const error = await pullImage(target.engine, name, {
      platform: { os: 'linux', architecture: 'riscv64' },
    }).catch((e: unknown) => e);
    assert.instance(error, NotFoundError);
    assert.is((error as Error).message, `${name} has no image for linux/riscv64`);
    assert.is(new ImageRepository(target.engine.db, target.engine.store).list().length, 0);
  });

  test('an artifact is not an image: its media type is named and nothing is stored', async () => {
    const config = await upload('team/chart', Buffer.from('{"name":"chart"}'));
    const layer = await upload('team/chart', Buffer.from('chart-bytes'));
    await putManifest('team/chart', '1', MEDIA.ociManifest, {
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: config, size: 16 },
      layers: [
        {
          mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
          digest: layer,
          size: 11,
        },
      ],
    });
    const error = await pullImage(target.engine, `${registry.domain}/team/chart:1`).catch(
      (e: unknown) => e,
    );
    assert.instance(error, UnsupportedError);
    assert.match((error as Error).message, '"application/vnd.cncf.helm.config.v1+json"');
    assert.equal(target.engine.store.list(), []);
  });

  test('a layer of an unknown media type is refused by name', async () => {
    const built = await buildImage(source.engine, 'app:1', { layers: 1 });
    await pushImage(source.engine, 'app:1', `${registry.domain}/team/odd:base`);
    await putManifest('team/odd', '1', MEDIA.ociManifest, {
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: {
        mediaType: MEDIA.ociConfig,
        digest: built.configDigest,
        size: source.engine.store.size(built.configDigest),
      },
      layers: [
        {
          mediaType: 'application/vnd.example.squashfs',
          digest: built.layerDigests[0],
          size: source.engine.store.size(built.layerDigests[0]!),
        },
      ],
    });
    const error = await pullImage(target.engine, `${registry.domain}/team/odd:1`).catch(
      (e: unknown) => e,
    );
    assert.instance(error, UnsupportedError);
    assert.match(
      (error as Error).message,
      'unsupported media type "application/vnd.example.squashfs"',
    );
  });

  test('an unknown tag is a NotFoundError naming it', async () => {
    const error = await pullImage(target.engine, `${registry.domain}/team/none:1`).catch(
      (e: unknown) => e,
    );
    assert.instance(error, NotFoundError);
    assert.match((error as Error).message, `manifest ${registry.domain}/team/none:1 was not found`);
    assert.equal(readdirSync(target.engine.store.ingestDir), []);
  });
});

test.run();
