// The snapshotter: each layer of an image unpacked once per chain ID into a short-named
// directory, recorded in the database, and nothing kept of a layer it refuses.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ImageRepository, type ImageRecord } from '../../src/engine/image/repository.js';
import { Engine } from '../../src/engine/engine.js';
import { MEDIA } from '../../src/engine/image/types.js';
import { chainIds } from '../../src/engine/snapshot/chain.js';
import { Snapshotter } from '../../src/engine/snapshot/snapshotter.js';
import { InvalidError, TsComposeError } from '../../src/errors.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import { runningAsRoot, whenMet } from '../helpers/requirements.js';

type Entry = Partial<Header> & Pick<Header, 'name'> & { body?: string };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { body, ...header } of entries) pack.entry(header, body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** An image of gzip layers, recorded in the engine; `diffIds` may lie, for the refusals. */
async function imageOf(
  layers: Entry[][],
  options: { diffIds?: string[] } = {},
): Promise<ImageRecord & { diffIds: string[] }> {
  const { store, db } = t.engine;
  const tars = await Promise.all(layers.map(tarOf));
  const diffIds = options.diffIds ?? tars.map(sha256);
  const config = store.putJson({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: diffIds },
  });
  const manifest = store.putJson({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, ...config },
    layers: tars.map((data) => ({ mediaType: MEDIA.ociLayerGzip, ...store.put(gzipSync(data)) })),
  });
  return { ...new ImageRepository(db, store).record(manifest.digest), diffIds };
}

const base: Entry[] = [{ name: 'etc/os-release', body: 'ID=test\n' }];
const app: Entry[] = [{ name: 'app/main.js', body: 'console.log(1)\n' }];

let t: TestEngine;
let snapshots: Snapshotter;
test.before.each(() => {
  t = testEngine('tscompose-snapshot-');
  snapshots = new Snapshotter(t.engine, { pollMs: 10 });
});
test.after.each(() => t.dispose());

/** What the snapshots directory holds: snapshot directories and nothing else. */
function onDisk(): string[] {
  return readdirSync(t.engine.paths.snapshots).sort();
}

whenMet(test, runningAsRoot('unpacking changes owners and makes device nodes'), () => {
  test('each layer is unpacked into a short-named directory; the top comes first', async () => {
    const image = await imageOf([base, app]);
    const prepared = await snapshots.prepare(image);
    const chain = chainIds(image.diffIds);
    assert.equal(
      prepared.snapshots.map((s) => [s.chainId, s.name, s.unpacked]),
      [
        [chain[1], '2/fs', true],
        [chain[0], '1/fs', true],
      ],
    );
    assert.equal(prepared.lowerDirs, [
      path.join(t.engine.paths.snapshots, '2/fs'),
      path.join(t.engine.paths.snapshots, '1/fs'),
    ]);
    assert.is(
      readFileSync(path.join(prepared.lowerDirs[1]!, 'etc/os-release'), 'utf8'),
      'ID=test\n',
    );
    assert.equal(
      snapshots.list().map((s) => [s.chainId, s.parent, s.state]),
      [
        [chain[0], null, 'ready'],
        [chain[1], chain[0], 'ready'],
      ],
    );
    assert.equal(onDisk(), ['1', '2'], 'no unpack directory or trash is left');
    assert.equal(readdirSync(path.join(t.engine.paths.snapshots, '1')), ['fs']);
  });

  test('the same chain is unpacked once, also for another image that shares it', async () => {
    const image = await imageOf([base, app]);
    await snapshots.prepare(image);
    const again = await snapshots.prepare(image.manifestDigest);
    assert.equal(
      again.snapshots.map((s) => s.unpacked),
      [false, false],
    );
    const other = await imageOf([base, [{ name: 'other', body: 'o' }]]);
    const prepared = await snapshots.prepare(other);
    assert.equal(
      prepared.snapshots.map((s) => [s.name, s.unpacked]),
      [
        ['3/fs', true],
        ['1/fs', false],
      ],
    );
    // The same diff on another parent is another chain: it is unpacked again.
    const swapped = await snapshots.prepare(await imageOf([app, base]));
    assert.equal(
      swapped.snapshots.map((s) => s.unpacked),
      [true, true],
    );
    assert.is(snapshots.list().length, 5);
  });

  test('two engines preparing the same image at once unpack each layer once', async () => {
    const image = await imageOf([base, app, [{ name: 'big', body: 'x'.repeat(4 << 20) }]]);
    // A second connection to the same root, as another process would open it.
    const shared = Engine.open(t.engine.options);
    try {
      const other = new Snapshotter(shared, { pollMs: 10 });
      const results = await Promise.all([snapshots.prepare(image), other.prepare(image)]);
      const unpacks = results.flatMap((r) => r.snapshots).filter((s) => s.unpacked).length;
      assert.is(unpacks, 3, 'three layers, three unpacks in all');
      assert.equal(results[0].lowerDirs, results[1].lowerDirs);
    } finally {
      shared.close();
    }
    assert.equal(onDisk(), ['1', '2', '3']);
  });

  test('an unpack that crashed is cleaned up and done again by the next process', async () => {
    const image = await imageOf([base]);
    const [chainId] = chainIds(image.diffIds);
    // A process that has exited: its unpack directory is stale, whatever its pid is now.
    const dead = spawnSync('true').pid!;
    t.engine.db
      .prepare(
        "INSERT INTO snapshots (id, chain_id, diff_id, state, created_at) VALUES (1, ?, ?, 'extracting', ?)",
      )
      .run(chainId, image.diffIds[0], new Date().toISOString());
    const stale = path.join(t.engine.paths.snapshots, `1/.unpack-${dead}-12345-deadbeef/fs/etc`);
    mkdirSync(stale, { recursive: true });
    writeFileSync(path.join(stale, 'half-written'), 'x');
    const prepared = await snapshots.prepare(image);
    assert.equal(
      prepared.snapshots.map((s) => [s.name, s.unpacked]),
      [['1/fs', true]],
    );
    assert.equal(readdirSync(path.join(t.engine.paths.snapshots, '1')), ['fs']);
    assert.equal(readdirSync(path.join(prepared.lowerDirs[0]!, 'etc')), ['os-release']);
    assert.equal(onDisk(), ['1'], 'the stale directory went through the trash and is gone');
    assert.is(snapshots.list()[0]!.state, 'ready');
  });

  test('a snapshot whose tree went missing is unpacked again', async () => {
    const image = await imageOf([base]);
    const first = await snapshots.prepare(image);
    rmSync(first.lowerDirs[0]!, { recursive: true });
    const again = await snapshots.prepare(image);
    assert.ok(again.snapshots[0]!.unpacked);
    assert.ok(existsSync(path.join(again.lowerDirs[0]!, 'etc/os-release')));
  });

  test('a refused layer leaves no snapshot: no row, no directory', async () => {
    const evil = await imageOf([base, [{ name: '../escape', body: 'x' }]]);
    const layer = t.engine.store.readJson<{ layers: { digest: string }[] }>(evil.manifestDigest)
      .layers[1]!.digest;
    const error = await snapshots.prepare(evil).catch((e: unknown) => e);
    assert.instance(error, InvalidError);
    assert.match((error as Error).message, layer);
    assert.match((error as Error).message, '"../escape"');
    const chain = chainIds(evil.diffIds);
    assert.equal(
      snapshots.list().map((s) => s.chainId),
      [chain[0]],
      'the good bottom layer stays; the refused one has no row',
    );
    assert.equal(onDisk(), ['1']);
  });

  test('a diff ID mismatch is refused and leaves nothing behind', async () => {
    const lying = await imageOf([base], { diffIds: [`sha256:${'7'.repeat(64)}`] });
    const error = await snapshots.prepare(lying).catch((e: unknown) => e);
    assert.instance(error, TsComposeError);
    assert.match((error as Error).message, `the image config says sha256:${'7'.repeat(64)}`);
    assert.equal(snapshots.list(), []);
    assert.equal(onDisk(), []);
  });

  test('a manifest and config that disagree on the number of layers are refused', async () => {
    const image = await imageOf([base, app], { diffIds: [sha256(await tarOf(base))] });
    const error = await snapshots.prepare(image).catch((e: unknown) => e);
    assert.instance(error, InvalidError);
    assert.match((error as Error).message, 'has 2 layers but its config lists 1 diff IDs');
    assert.equal(onDisk(), []);
  });

  test('garbage collection keeps what an image uses and removes the rest', async () => {
    const kept = await imageOf([base, app]);
    const gone = await imageOf([base, [{ name: 'gone', body: 'g' }]]);
    await snapshots.prepare(kept);
    await snapshots.prepare(gone);
    mkdirSync(path.join(t.engine.paths.snapshots, '.trash-0123456789ab/fs'), { recursive: true });
    mkdirSync(path.join(t.engine.paths.snapshots, 'zz/fs'), { recursive: true });
    new ImageRepository(t.engine.db, t.engine.store).remove(gone.id);

    const [baseChain, appChain] = chainIds(kept.diffIds);
    const goneChain = chainIds(gone.diffIds)[1]!;
    assert.throws(() => snapshots.remove(baseChain!), /is in use by image sha256:/);
    const result = snapshots.collectGarbage();
    assert.equal(result.removed, [goneChain]);
    assert.ok(result.reclaimed > 0);
    assert.equal(
      snapshots.list().map((s) => s.chainId),
      [baseChain, appChain],
    );
    assert.equal(onDisk(), ['1', '2'], 'the orphan directory and old trash went too');
    assert.equal(snapshots.collectGarbage().removed, [], 'nothing more to collect');
  });

  test('remove takes a snapshot no image uses, once', async () => {
    const image = await imageOf([base]);
    await snapshots.prepare(image);
    new ImageRepository(t.engine.db, t.engine.store).remove(image.id);
    const [chainId] = chainIds(image.diffIds);
    assert.ok(snapshots.remove(chainId!));
    assert.not.ok(snapshots.remove(chainId!), 'already gone');
    assert.equal(onDisk(), []);
  });
});

test.run();
