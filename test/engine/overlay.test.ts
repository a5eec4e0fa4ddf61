// Unpacked layers stacked by a real overlay mount: whiteouts hide what they delete, an
// image of 120 layers fits its mount options in one page, and the read-only forms.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar, { type Header } from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ImageRepository } from '../../src/engine/image/repository.js';
import { MEDIA } from '../../src/engine/image/types.js';
import {
  isMounted,
  MOUNT_OPTIONS_LIMIT,
  mountOverlay,
  overlayOptions,
  unmount,
  type OverlaySpec,
} from '../../src/engine/snapshot/overlay.js';
import { Snapshotter } from '../../src/engine/snapshot/snapshotter.js';
import { unpackLayer } from '../../src/engine/snapshot/unpack.js';
import { InvalidError, UnsupportedError } from '../../src/errors.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import { allOf, commandRuns, runningAsRoot, whenMet } from '../helpers/requirements.js';

type Entry = Partial<Header> & Pick<Header, 'name'> & { body?: string };

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { body, ...header } of entries) pack.entry(header, body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

let work: string;
let engine: TestEngine | undefined;
let mounted: string[];
test.before.each(() => {
  work = mkdtempSync(path.join(tmpdir(), 'tscompose-overlay-'));
  engine = undefined;
  mounted = [];
});
test.after.each(async () => {
  // Unmounted before anything is removed, newest first, also when the test failed.
  for (const target of mounted.reverse()) await unmount(target);
  engine?.dispose();
  rmSync(work, { recursive: true, force: true });
});

/** Mounts and remembers the mount for the after hook. */
async function mount(spec: Omit<OverlaySpec, 'target'>, name = 'merged'): Promise<string> {
  const target = path.join(work, name);
  mkdirSync(target, { recursive: true });
  mounted.push(target);
  await mountOverlay({ ...spec, target, source: 'tscompose-test' });
  return target;
}

/** Unpacks each layer (bottom first) into `<work>/layers/<n>/fs`; returns them top first. */
async function unpackAll(layers: Entry[][]): Promise<string[]> {
  const dirs: string[] = [];
  for (const [i, entries] of layers.entries()) {
    const dest = path.join(work, 'layers', String(i + 1), 'fs');
    mkdirSync(path.dirname(dest), { recursive: true });
    const blob = await tarOf(entries);
    await unpackLayer(Readable.from([blob]), dest, { layer: `sha256:${'3'.repeat(64)}` });
    dirs.unshift(dest);
  }
  return dirs;
}

const lowerLayer: Entry[] = [
  { name: 'etc/', type: 'directory', mode: 0o755 },
  { name: 'etc/passwd', body: 'root:x:0:0\n' },
  { name: 'etc/hostname', body: 'box\n' },
  { name: 'var/cache/', type: 'directory', mode: 0o755 },
  { name: 'var/cache/old-1', body: '1' },
  { name: 'var/cache/old-2', body: '2' },
];
const upperLayer: Entry[] = [
  { name: 'etc/.wh.passwd', body: '' },
  { name: 'var/cache/', type: 'directory', mode: 0o755 },
  { name: 'var/cache/.wh..wh..opq', body: '' },
  { name: 'var/cache/new', body: 'n' },
];

whenMet(
  test,
  allOf(
    runningAsRoot('overlay mounts need root'),
    commandRuns('setfattr', ['--version'], 'opaque directories are marked by setfattr (attr)'),
  ),
  () => {
    test('a whited-out file and an opaque directory hide what is below them', async () => {
      const lowerDirs = await unpackAll([lowerLayer, upperLayer]);
      const merged = await mount({ lowerDirs });
      assert.ok(isMounted(merged));
      assert.not.ok(existsSync(path.join(merged, 'etc/passwd')), 'the whiteout hides it');
      assert.is(readFileSync(path.join(merged, 'etc/hostname'), 'utf8'), 'box\n');
      assert.equal(
        readdirSync(path.join(merged, 'var/cache')),
        ['new'],
        'opaque: old files hidden',
      );
      assert.throws(() => writeFileSync(path.join(merged, 'x'), 'x'), /EROFS/);
    });

    test('with an upper directory the overlay is writable and the lowers stay as they were', async () => {
      const lowerDirs = await unpackAll([lowerLayer, upperLayer]);
      const upperDir = path.join(work, 'container/upper');
      const workDir = path.join(work, 'container/work');
      mkdirSync(upperDir, { recursive: true });
      mkdirSync(workDir, { recursive: true });
      const merged = await mount({ lowerDirs, upperDir, workDir });
      writeFileSync(path.join(merged, 'etc/hostname'), 'changed\n');
      rmSync(path.join(merged, 'var/cache/new'));
      assert.is(readFileSync(path.join(upperDir, 'etc/hostname'), 'utf8'), 'changed\n');
      assert.is(readFileSync(path.join(lowerDirs[1]!, 'etc/hostname'), 'utf8'), 'box\n');
      assert.ok(existsSync(path.join(lowerDirs[0]!, 'var/cache/new')));
      assert.equal(readdirSync(path.join(merged, 'var/cache')), []);
    });

    test('a single lower directory without an upper one is bind-mounted read-only', async () => {
      const [only] = await unpackAll([lowerLayer]);
      const merged = await mount({ lowerDirs: [only!] });
      assert.is(readFileSync(path.join(merged, 'etc/hostname'), 'utf8'), 'box\n');
      assert.throws(() => writeFileSync(path.join(merged, 'etc/hostname'), 'x'), /EROFS/);
      assert.ok(await unmount(merged));
      assert.not.ok(await unmount(merged), 'unmounting twice is not an error');
    });

    test('an image of 120 layers is mounted as one overlay', async () => {
      engine = testEngine('tscompose-overlay-engine-');
      const { store, db } = engine.engine;
      const layers = [];
      const diffIds = [];
      for (let i = 0; i < 120; i += 1) {
        const entries: Entry[] = [{ name: `layers/${i}`, body: `${i}\n` }];
        if (i === 0) entries.push({ name: 'bottom.txt', body: 'from the bottom\n' });
        if (i === 119) entries.push({ name: 'top.txt', body: 'from the top\n' });
        const blob = await tarOf(entries);
        diffIds.push(`sha256:${createHash('sha256').update(blob).digest('hex')}`);
        layers.push({ mediaType: MEDIA.ociLayer, ...store.put(blob) });
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
        layers,
      });
      const image = new ImageRepository(db, store).record(manifest.digest);
      const prepared = await new Snapshotter(engine.engine).prepare(image);
      assert.is(prepared.lowerDirs.length, 120);

      // Absolute paths would not fit: the short names relative to the snapshots root do.
      const absolute = { lowerDirs: prepared.lowerDirs, target: work, cwd: '/' };
      assert.throws(
        () => overlayOptions(absolute),
        (e: unknown) => e instanceof UnsupportedError,
      );
      const { cwd, options } = overlayOptions({ lowerDirs: prepared.lowerDirs, target: work });
      assert.is(cwd, prepared.root);
      assert.ok(options.length < MOUNT_OPTIONS_LIMIT);
      assert.ok(options.startsWith('lowerdir=3c/fs:3b/fs:'), options.slice(0, 40));

      const upperDir = path.join(work, 'upper');
      const workDir = path.join(work, 'work');
      mkdirSync(upperDir);
      mkdirSync(workDir);
      const merged = await mount({ lowerDirs: prepared.lowerDirs, upperDir, workDir });
      assert.is(readFileSync(path.join(merged, 'bottom.txt'), 'utf8'), 'from the bottom\n');
      assert.is(readFileSync(path.join(merged, 'top.txt'), 'utf8'), 'from the top\n');
      assert.is(readdirSync(path.join(merged, 'layers')).length, 120);
    });
  },
);

test('mount options that cannot be written are refused before mount runs', () => {
  const target = '/mnt/x';
  const refused = (spec: OverlaySpec, kind: typeof InvalidError, text: string) =>
    assert.throws(
      () => overlayOptions(spec),
      (e: unknown) => e instanceof kind && (e as Error).message.includes(text),
    );
  refused({ lowerDirs: [], target }, InvalidError, 'at least one lower directory');
  refused({ lowerDirs: ['/a,b/fs'], target }, InvalidError, '"/a,b/fs"');
  refused({ lowerDirs: ['/a:b/fs'], target }, InvalidError, '"/a:b/fs"');
  refused({ lowerDirs: ['relative/fs'], target }, InvalidError, '"relative/fs"');
  refused({ lowerDirs: ['/l/1/fs'], upperDir: '/u', target }, InvalidError, 'both an upper');
  const many = Array.from({ length: 501 }, (_, i) => `/s/${i.toString(36)}/fs`);
  refused({ lowerDirs: many, target }, UnsupportedError, 'more than overlayfs stacks (500)');
  const long = Array.from({ length: 120 }, (_, i) => `/s/${'d'.repeat(40)}${i}/fs`);
  refused({ lowerDirs: long, target }, UnsupportedError, 'bytes of mount options');
});

test('the options name the lower directories relative to the directory that holds them', () => {
  const lowerDirs = ['/var/lib/tscompose/snapshots/b/fs', '/var/lib/tscompose/snapshots/a/fs'];
  assert.equal(
    overlayOptions({ lowerDirs, upperDir: '/c/upper', workDir: '/c/work', target: '/m' }),
    {
      cwd: '/var/lib/tscompose/snapshots',
      options: 'lowerdir=b/fs:a/fs,upperdir=/c/upper,workdir=/c/work',
    },
  );
});

test.run();
