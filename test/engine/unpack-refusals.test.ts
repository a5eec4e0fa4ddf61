// Layers that try to write outside their root, or are damaged: each is refused with an
// error that names the layer and the entry, nothing is written outside, and nothing of the
// layer is kept.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidError, TsComposeError } from '../../src/errors.js';
import { unpackLayer } from '../../src/engine/snapshot/unpack.js';
import { allOf, commandRuns, runningAsRoot, whenMet } from '../helpers/requirements.js';

type Entry = Partial<Header> & Pick<Header, 'name'> & { body?: string };

const LAYER = `sha256:${'2'.repeat(64)}`;

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { body, ...header } of entries) pack.entry(header, body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// The layer unpacks into <work>/a/b/fs, so `../../x` would land in <work>/a/x, inside the
// test's own directory, where the test can look for it.
let work: string;
let dest: string;
test.before.each(() => {
  work = mkdtempSync(path.join(tmpdir(), 'tscompose-refuse-'));
  mkdirSync(path.join(work, 'a/b'), { recursive: true });
  dest = path.join(work, 'a/b/fs');
});
test.after.each(() => rmSync(work, { recursive: true, force: true }));

/** Unpacks `blob`, expects a refusal naming the layer and `entry`, and checks nothing stayed. */
async function refused(blob: Buffer, entry: string | RegExp, diffId?: string): Promise<Error> {
  let caught: unknown;
  try {
    await unpackLayer(Readable.from([blob]), dest, { layer: LAYER, diffId });
  } catch (error) {
    caught = error;
  }
  assert.instance(caught, TsComposeError, `refused: ${String(caught)}`);
  const error = caught as TsComposeError;
  assert.match(error.message, LAYER);
  if (typeof entry === 'string') assert.match(error.message, `"${entry}"`);
  else assert.match(error.message, entry);
  assert.ok(error.hint, 'a hint says what to do');
  assert.not.ok(existsSync(dest), 'nothing of the layer is kept');
  assert.equal(readdirSync(path.join(work, 'a/b')), [], 'nothing beside it either');
  assert.equal(readdirSync(path.join(work, 'a')), ['b'], 'nothing above it');
  return error;
}

whenMet(
  test,
  allOf(
    runningAsRoot('unpacking changes owners and makes device nodes'),
    commandRuns('zstd', ['--version'], 'zstd layers are decompressed by the zstd command'),
  ),
  () => {
    test('an entry that climbs out with ".."', async () => {
      await refused(
        await tarOf([
          { name: 'ok', body: '1' },
          { name: '../../x', body: 'x' },
        ]),
        '../../x',
      );
      await refused(await tarOf([{ name: 'd/../../../x', body: 'x' }]), 'd/../../../x');
    });

    test('an absolute name', async () => {
      const error = await refused(await tarOf([{ name: '/etc/x', body: 'x' }]), '/etc/x');
      assert.match(error.message, 'absolute');
    });

    test('a symlink that points outside, and an entry written through a symlink', async () => {
      await refused(await tarOf([{ name: 'up', type: 'symlink', linkname: '../../..' }]), 'up');
      const through = await tarOf([
        { name: 'etc', type: 'symlink', linkname: '/etc' },
        { name: 'etc/x', body: 'x' },
      ]);
      const error = await refused(through, 'etc/x');
      assert.match(error.message, 'through the symlink etc');
      const whiteout = await tarOf([
        { name: 'lib', type: 'symlink', linkname: '/usr/lib' },
        { name: 'lib/.wh.x', body: '' },
      ]);
      await refused(whiteout, 'lib/.wh.x');
    });

    test('a hard link to outside, or to what the layer does not hold', async () => {
      await refused(
        await tarOf([{ name: 'h', type: 'link', linkname: '../../../etc/passwd' }]),
        'h',
      );
      await refused(await tarOf([{ name: 'h', type: 'link', linkname: '/etc/passwd' }]), 'h');
      await refused(await tarOf([{ name: 'h', type: 'link', linkname: 'etc/passwd' }]), 'h');
      const through = await tarOf([
        { name: 'e', type: 'symlink', linkname: '/etc' },
        { name: 'h', type: 'link', linkname: 'e/passwd' },
      ]);
      const error = await refused(through, 'h');
      assert.match(error.message, 'through the symlink e');
    });

    test('a corrupt tar header', async () => {
      const blob = await tarOf([
        { name: 'first', body: 'a' },
        { name: 'second', body: 'b' },
      ]);
      blob.write('garbage', 1024 + 10, 'latin1');
      const error = await refused(blob, /checksum at byte 1024 after entry "first"/);
      assert.instance(error, InvalidError);
    });

    test('a truncated tar', async () => {
      const blob = await tarOf([{ name: 'big', body: 'x'.repeat(100_000) }]);
      const error = await refused(blob.subarray(0, 50_000), 'big');
      assert.match(error.message, 'truncated');
    });

    test('a truncated and a corrupt gzip stream', async () => {
      const plain = await tarOf([{ name: 'data', body: 'some text '.repeat(50_000) }]);
      const gzip = gzipSync(plain);
      const error = await refused(gzip.subarray(0, gzip.length - 200), 'data');
      assert.match(error.message, 'not a valid gzip stream');
      const corrupt = Buffer.from(gzip);
      corrupt.fill(0x55, 20, 60);
      await refused(corrupt, /not a valid gzip stream/);
    });

    test('a corrupt zstd stream', async () => {
      const plain = await tarOf([{ name: 'data', body: 'more text '.repeat(50_000) }]);
      const blob = spawnSync('zstd', ['-q', '-c'], { input: plain }).stdout;
      const error = await refused(blob.subarray(0, blob.length - 100), /not a valid zstd stream/);
      assert.match(error.message, 'zstd');
    });

    test('a layer whose content is not the diff ID the config names', async () => {
      const blob = await tarOf([{ name: 'f', body: 'f' }]);
      const error = await refused(
        blob,
        /unpacks to sha256:[0-9a-f]{64}/,
        `sha256:${'9'.repeat(64)}`,
      );
      assert.match(error.message, `sha256:${'9'.repeat(64)}`);
    });
  },
);

test.run();
