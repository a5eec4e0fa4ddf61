// Several processes on one engine root: they share the unpacking of a layer through the
// database and the unpack directories, and one killed mid-unpack is taken over.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ImageRepository, type ImageRecord } from '../../src/engine/image/repository.js';
import { MEDIA } from '../../src/engine/image/types.js';
import { Snapshotter } from '../../src/engine/snapshot/snapshotter.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import { runningAsRoot, whenMet } from '../helpers/requirements.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

// A process of its own that opens the engine, says "ready", waits for a line on stdin, then
// prepares the image and prints what it did as JSON.
const CHILD = `
import { createInterface } from 'node:readline';
import { Engine } from './src/engine/engine.js';
import { Snapshotter } from './src/engine/snapshot/snapshotter.js';
const [root, runRoot, manifest] = process.argv.slice(1);
const engine = Engine.open({ root, runRoot });
const snapshots = new Snapshotter(engine, { pollMs: 10 });
const lines = createInterface({ input: process.stdin });
console.log('ready');
for await (const _ of lines) break;
const prepared = await snapshots.prepare(manifest);
console.log(JSON.stringify(prepared.snapshots.map((s) => s.unpacked)));
engine.close();
`;

interface Child {
  process: ChildProcessWithoutNullStreams;
  lines: AsyncIterator<string>;
}

function startChild(manifestDigest: string): Child {
  const { root, runRoot } = t.engine.options;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', CHILD, root, runRoot, manifestDigest],
    { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  children.push(child);
  child.stderr.setEncoding('utf8').on('data', (text: string) => process.stderr.write(text));
  return { process: child, lines: linesOf(child) };
}

async function* linesOf(child: ChildProcessWithoutNullStreams): AsyncGenerator<string> {
  let buffered = '';
  for await (const chunk of child.stdout.setEncoding('utf8')) {
    buffered += chunk as string;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    yield* lines;
  }
}

async function nextLine(child: Child): Promise<string> {
  const next = await child.lines.next();
  assert.not.ok(next.done, `child ${child.process.pid} ended early`);
  return next.value as string;
}

/** An image of `layers` layers of `files` files each, recorded in the engine. */
async function imageOf(layers: number, files: number): Promise<ImageRecord> {
  const { store, db } = t.engine;
  const blobs = [];
  const diffIds = [];
  for (let layer = 0; layer < layers; layer += 1) {
    const pack = tar.pack();
    for (let i = 0; i < files; i += 1) {
      pack.entry({ name: `layer${layer}/dir${i % 50}/file${i}` }, `${layer}:${i}\n`.repeat(200));
    }
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const chunk of pack) chunks.push(chunk as Buffer);
    const data = Buffer.concat(chunks);
    diffIds.push(`sha256:${createHash('sha256').update(data).digest('hex')}`);
    blobs.push({ mediaType: MEDIA.ociLayerGzip, ...store.put(gzipSync(data)) });
  }
  const config = store.putJson({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { diff_ids: diffIds },
  });
  const manifest = store.putJson({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, ...config },
    layers: blobs,
  });
  return new ImageRepository(db, store).record(manifest.digest);
}

let t: TestEngine;
let children: ChildProcessWithoutNullStreams[];
test.before.each(() => {
  t = testEngine('tscompose-snapshot-procs-');
  children = [];
});
test.after.each(async () => {
  // Every child is ours: stopped by its own pid, and waited for before the root goes.
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGKILL');
      await closed;
    }
  }
  t.dispose();
});

whenMet(test, runningAsRoot('unpacking changes owners and makes device nodes'), () => {
  test('three processes preparing one image at once unpack each layer once', async () => {
    const image = await imageOf(4, 1500);
    const started = [startChild(image.manifestDigest), startChild(image.manifestDigest)];
    for (const child of started) assert.is(await nextLine(child), 'ready');
    for (const child of started) child.process.stdin.end('go\n');
    const ours = new Snapshotter(t.engine, { pollMs: 10 }).prepare(image);
    const theirs = await Promise.all(started.map(async (c) => JSON.parse(await nextLine(c))));
    const flags = [...(await ours).snapshots.map((s) => s.unpacked), ...theirs.flat()];
    assert.is(flags.length, 12);
    assert.is(flags.filter(Boolean).length, 4, `one unpack per layer, got ${flags}`);
    assert.equal(readdirSync(t.engine.paths.snapshots).sort(), ['1', '2', '3', '4']);
  });

  test('a process killed in the middle of an unpack is taken over by the next', async () => {
    const image = await imageOf(1, 20000);
    const child = startChild(image.manifestDigest);
    assert.is(await nextLine(child), 'ready');
    child.process.stdin.end('go\n');
    // The child's unpack directory is the only sign it has started; look for it often.
    const snapshotDir = path.join(t.engine.paths.snapshots, '1');
    const unpacking = () =>
      existsSync(snapshotDir) &&
      readdirSync(snapshotDir).some((n) => n.startsWith(`.unpack-${child.process.pid}-`));
    // Its claim (the row) commits just after the directory appears: wait for both.
    const watcher = new Snapshotter(t.engine, { pollMs: 10 });
    while (!unpacking() || watcher.list().length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const closed = new Promise((resolve) => child.process.once('close', resolve));
    child.process.kill('SIGKILL');
    await closed;

    const snapshots = new Snapshotter(t.engine, { pollMs: 10 });
    assert.is(snapshots.list()[0]!.state, 'extracting', 'the child died before it was done');
    const prepared = await snapshots.prepare(image);
    assert.ok(prepared.snapshots[0]!.unpacked, 'taken over, not waited for');
    assert.is(readdirSync(path.join(prepared.lowerDirs[0]!, 'layer0')).length, 50);
    assert.equal(readdirSync(snapshotDir), ['fs'], 'the dead unpack is gone');
    assert.equal(readdirSync(t.engine.paths.snapshots), ['1'], 'and so is the trash');
  });
});

test.run();
