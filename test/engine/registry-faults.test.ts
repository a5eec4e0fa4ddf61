// Faults injected by a loopback proxy in front of a real docker-registry: a corrupted
// byte, a connection dropped mid-blob (and the resume), 429 and 503 with backoff, a
// redirect to another host, manifests of unknown kinds. Each leaves the store clean.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidError, RuntimeError, UnsupportedError } from '../../src/errors.js';
import { ImageRepository } from '../../src/engine/image/repository.js';
import type { Clock } from '../../src/engine/registry/clock.js';
import { CredentialStore } from '../../src/engine/registry/credentials.js';
import { login } from '../../src/engine/registry/login.js';
import type { ProgressEvent } from '../../src/engine/registry/progress.js';
import { pullImage } from '../../src/engine/registry/pull.js';
import { pushImage } from '../../src/engine/registry/push.js';
import { hexOf } from '../../src/engine/store/digest.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import {
  buildImage,
  startProxy,
  startRegistry,
  type BuiltImage,
  type Fault,
  type FaultProxy,
  type ProxiedRequest,
  type Registry,
} from '../helpers/registry.js';
import { allOf, commandRuns, whenMet } from '../helpers/requirements.js';

const requirement = allOf(
  commandRuns('docker-registry', ['--version'], 'these tests run a real registry'),
  commandRuns('htpasswd', ['-nbB', 'u', 'p'], 'the redirect test needs a registry with a password'),
);
const LAYER_SIZE = 256 * 1024;

let registry: Registry;
let source: TestEngine;
let target: TestEngine;
let built: BuiltImage;
/** Started by a test, stopped after it whatever happened. */
let cleanups: (() => Promise<void> | void)[] = [];

test.before(async () => {
  if (requirement.met) registry = await startRegistry();
});
test.after(async () => {
  await registry?.stop();
});
test.before.each(async () => {
  source = testEngine();
  target = testEngine();
  cleanups = [];
  if (!requirement.met) return;
  built = await buildImage(source.engine, 'app:1', { layers: 2, layerSize: LAYER_SIZE });
});
test.after.each(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  source?.dispose();
  target?.dispose();
});

/** Pushes the test image straight to the registry, and a proxy in front to pull through. */
async function behindProxy(repository: string, fault: (r: ProxiedRequest) => Fault | undefined) {
  await pushImage(source.engine, 'app:1', `${registry.domain}/${repository}:1`);
  const proxy = await startProxy(registry.port, fault);
  cleanups.push(() => proxy.close());
  return { proxy, name: `${proxy.domain}/${repository}:1` };
}

/** A fault for the first matching request only. */
function once(match: (r: ProxiedRequest) => boolean, fault: Fault) {
  let used = false;
  return (r: ProxiedRequest) => {
    if (used || !match(r)) return undefined;
    used = true;
    return fault;
  };
}

const blobGet = (digest: string) => (r: ProxiedRequest) =>
  r.method === 'GET' && r.url.endsWith(`/blobs/${digest}`);

function assertPulled(image: BuiltImage) {
  for (const digest of [image.manifestDigest, image.configDigest, ...image.layerDigests]) {
    assert.equal(target.engine.store.read(digest), source.engine.store.read(digest));
  }
}

function recordingClock(sleeps: number[]): Clock {
  return { now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms) };
}

whenMet(test, requirement, () => {
  test('a corrupted byte is refused and no trace of the blob is kept', async () => {
    const layer = built.layerDigests[1]!;
    const { name } = await behindProxy('team/corrupt', once(blobGet(layer), { corruptAt: 1000 }));
    const error = await pullImage(target.engine, name).catch((e: unknown) => e);
    assert.instance(error, InvalidError);
    assert.match((error as Error).message, `digest mismatch: expected ${layer}`);
    assert.not.ok(target.engine.store.has(layer));
    assert.equal(readdirSync(target.engine.store.ingestDir), []);
    assert.not.ok(target.engine.store.has(built.manifestDigest));
    assert.equal(new ImageRepository(target.engine.db, target.engine.store).list(), []);
  });

  test('a connection dropped mid-blob fails; the next pull resumes with a Range request', async () => {
    const layer = built.layerDigests[0]!;
    const { proxy, name } = await behindProxy(
      'team/drop',
      once(blobGet(layer), { dropAfter: 100_000 }),
    );
    const error = await pullImage(target.engine, name, { retries: 0 }).catch((e: unknown) => e);
    assert.instance(error, RuntimeError);
    assert.match((error as Error).message, 'the connection broke after');
    const partial = path.join(target.engine.store.ingestDir, `${hexOf(layer)}.partial`);
    const kept = statSync(partial).size;
    assert.ok(kept > 0 && kept <= 100_000, `kept ${kept} bytes`);

    const firstBytes = sentFor(proxy, layer);
    proxy.requests.length = 0;
    const events: ProgressEvent[] = [];
    await pullImage(target.engine, name, { onProgress: (e) => events.push(e) });
    const resumed = proxy.requests.filter(blobGet(layer));
    assert.equal(
      resumed.map((r) => [r.headers.range, r.status]),
      [[`bytes=${kept}-`, 206]],
    );
    const size = source.engine.store.size(layer)!;
    assert.is(resumed[0]!.bytes, size - kept);
    // Fewer bytes the second time: only what the first attempt did not deliver.
    assert.ok(firstBytes >= kept && resumed[0]!.bytes < size);
    assert.ok(
      events.some((e) => e.type === 'blob' && e.digest === layer && e.resumedFrom === kept),
    );
    assertPulled(built);
    assert.equal(readdirSync(target.engine.store.ingestDir), []);
  });

  test('within one pull a dropped connection is resumed by itself', async () => {
    const layer = built.layerDigests[1]!;
    const { proxy, name } = await behindProxy(
      'team/retry',
      once(blobGet(layer), { dropAfter: 50_000 }),
    );
    await pullImage(target.engine, name);
    const gets = proxy.requests.filter(blobGet(layer));
    assert.is(gets.length, 2);
    assert.is(gets[0]!.headers.range, undefined);
    assert.match(gets[1]!.headers.range ?? '', /^bytes=\d+-$/);
    assertPulled(built);
  });

  test('429 is answered after the Retry-After the registry asks for', async () => {
    const layer = built.layerDigests[0]!;
    const fault = once(blobGet(layer), { respond: 429, headers: { 'retry-after': '3' } });
    const { proxy, name } = await behindProxy('team/busy', fault);
    const sleeps: number[] = [];
    await pullImage(target.engine, name, { clock: recordingClock(sleeps) });
    assert.equal(sleeps, [3000]);
    assert.equal(
      proxy.requests.filter(blobGet(layer)).map((r) => r.status),
      [429, 200],
    );
    assertPulled(built);
  });

  test('503 without Retry-After backs off; a registry that stays busy gives up', async () => {
    const manifestGet = (r: ProxiedRequest) => r.method === 'GET' && r.url.includes('/manifests/');
    const { name } = await behindProxy('team/down', once(manifestGet, { respond: 503 }));
    const sleeps: number[] = [];
    await pullImage(target.engine, name, { clock: recordingClock(sleeps) });
    assert.equal(sleeps, [500]);

    const busy = await startProxy(registry.port, (r) =>
      r.url.includes('/manifests/') ? { respond: 429 } : undefined,
    );
    cleanups.push(() => busy.close());
    const error = await pullImage(testEngineFor(), `${busy.domain}/team/down:1`, {
      clock: recordingClock([]),
      attempts: 2,
    }).catch((e: unknown) => e);
    assert.instance(error, RuntimeError);
    assert.match((error as Error).message, 'rate-limiting');
  });

  test('a redirect to another host does not carry Authorization', async () => {
    const secured = await startRegistry({ kind: 'htpasswd', username: 'bob', password: 'pw' });
    cleanups.push(() => secured.stop());
    const storage = await startProxy(registry.port);
    cleanups.push(() => storage.close());
    const front = await startProxy(secured.port, (r) =>
      r.method === 'GET' && r.url.includes('/blobs/sha256:')
        ? { respond: 307, headers: { location: `http://${storage.domain}${r.url}` } }
        : undefined,
    );
    cleanups.push(() => front.close());
    const dir = mkdtempSync(path.join(tmpdir(), 'tscompose-docker-config-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const credentials = new CredentialStore(path.join(dir, 'config.json'));
    await login(front.domain, 'bob', 'pw', { credentials });
    await pushImage(source.engine, 'app:1', `${front.domain}/team/app:1`, { credentials });
    await pushImage(source.engine, 'app:1', `${registry.domain}/team/app:1`);

    front.requests.length = 0;
    await pullImage(target.engine, `${front.domain}/team/app:1`, { credentials });
    const redirected = front.requests.filter((r) => r.status === 307);
    assert.is(redirected.length, 3);
    assert.ok(redirected.every((r) => r.headers.authorization?.startsWith('Basic ')));
    const fetched = storage.requests.filter((r) => r.url.includes('/blobs/'));
    assert.is(fetched.length, 3);
    assert.equal(
      fetched.map((r) => r.headers.authorization),
      [undefined, undefined, undefined],
    );
    assertPulled(built);
  });

  test('a manifest of an unknown media type is named; schema 1 is refused', async () => {
    const manifests = (r: ProxiedRequest) => r.url.includes('/manifests/');
    let kind = 'application/vnd.example.thing.v1+json';
    const { name } = await behindProxy('team/odd', (r) =>
      manifests(r)
        ? { respond: 200, headers: { 'content-type': kind }, body: '{"schemaVersion":2}' }
        : undefined,
    );
    const unknown = await pullImage(target.engine, name).catch((e: unknown) => e);
    assert.instance(unknown, UnsupportedError);
    assert.match((unknown as Error).message, `unsupported media type "${kind}"`);
    kind = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
    const schema1 = await pullImage(target.engine, name).catch((e: unknown) => e);
    assert.instance(schema1, UnsupportedError);
    assert.match((schema1 as Error).message, 'Docker schema 1 manifest');
    assert.equal(target.engine.store.list(), []);
  });
});

function sentFor(proxy: FaultProxy, digest: string): number {
  return proxy.requests.filter(blobGet(digest)).reduce((total, r) => total + r.bytes, 0);
}

function testEngineFor() {
  const engine = testEngine();
  cleanups.push(() => engine.dispose());
  return engine.engine;
}

test.run();
