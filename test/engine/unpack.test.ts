// One layer tar into one directory: file types, owners, modes, times, xattrs and whiteouts
// as overlayfs wants them, from plain, gzip and zstd blobs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { unpackLayer } from '../../src/engine/snapshot/unpack.js';
import { allOf, commandRuns, runningAsRoot, whenMet } from '../helpers/requirements.js';

type Entry = Partial<Header> & Pick<Header, 'name'> & { body?: string };

const LAYER = `sha256:${'1'.repeat(64)}`;
const MTIME = new Date('2024-05-06T07:08:09Z');

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { body, ...header } of entries) pack.entry({ mtime: MTIME, ...header }, body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function zstd(data: Buffer): Buffer {
  return spawnSync('zstd', ['-q', '-c'], { input: data, maxBuffer: 1 << 30 }).stdout;
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function xattr(file: string, name: string): string | undefined {
  const result = spawnSync('getfattr', ['-h', '--only-values', '-n', name, file], {
    encoding: 'utf8',
  });
  return result.status === 0 ? result.stdout : undefined;
}

let work: string;
test.before.each(() => {
  work = mkdtempSync(path.join(tmpdir(), 'tscompose-unpack-'));
});
test.after.each(() => rmSync(work, { recursive: true, force: true }));

const unpack = (blob: Buffer, diffId?: string) =>
  unpackLayer(Readable.from([blob]), path.join(work, 'fs'), { layer: LAYER, diffId });

const everyKind: Entry[] = [
  { name: 'etc/', type: 'directory', mode: 0o755, uid: 0, gid: 0 },
  { name: 'etc/app.conf', mode: 0o640, uid: 1000, gid: 1001, body: 'port=80\n' },
  { name: 'bin/tool', mode: 0o4755, body: '#!/bin/sh\n' },
  { name: 'bin/tool-again', type: 'link', linkname: 'bin/tool' },
  { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox', uid: 5, gid: 6 },
  { name: 'tmp/', type: 'directory', mode: 0o1777 },
  { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
  { name: 'dev/loop0', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660, gid: 6 },
  { name: 'run/pipe', type: 'fifo', mode: 0o620 },
  {
    name: 'usr/lib/tagged',
    pax: { 'SCHILY.xattr.user.origin': 'layer-a', 'SCHILY.xattr.trusted.note': 'kept' },
    body: 'x',
  },
  { name: 'opt/', type: 'directory', mode: 0o750, mtime: new Date('2001-02-03T04:05:06Z') },
  { name: 'opt/inside', body: 'made after its directory' },
];

whenMet(
  test,
  allOf(
    runningAsRoot('unpacking makes device nodes, trusted.* xattrs and files of other owners'),
    commandRuns('zstd', ['--version'], 'zstd layers are decompressed by the zstd command'),
    commandRuns('setfattr', ['--version'], 'extended attributes are set by setfattr (attr)'),
  ),
  () => {
    test('every kind of entry, with its owner, mode and times', async () => {
      const plain = await tarOf(everyKind);
      const result = await unpack(plain, sha256(plain));
      assert.equal(result, { diffId: sha256(plain), size: plain.length });
      const fs = path.join(work, 'fs');
      const at = (name: string) => lstatSync(path.join(fs, name));

      assert.is(readFileSync(path.join(fs, 'etc/app.conf'), 'utf8'), 'port=80\n');
      assert.equal([at('etc/app.conf').uid, at('etc/app.conf').gid], [1000, 1001]);
      assert.is(at('etc/app.conf').mode & 0o7777, 0o640);
      assert.is(at('etc/app.conf').mtimeMs, MTIME.getTime());
      assert.is(at('bin/tool').mode & 0o7777, 0o4755, 'setuid survives the chown');
      assert.is(at('bin/tool-again').ino, at('bin/tool').ino, 'a hard link shares the inode');
      assert.is(at('bin/tool').nlink, 2);
      assert.ok(at('bin/sh').isSymbolicLink());
      assert.is(readlinkSync(path.join(fs, 'bin/sh')), '/bin/busybox');
      assert.equal([at('bin/sh').uid, at('bin/sh').gid], [5, 6], 'a symlink is chowned itself');
      assert.is(at('tmp').mode & 0o7777, 0o1777);
      assert.ok(at('dev/null').isCharacterDevice());
      assert.is(at('dev/null').rdev, (1 << 8) | 3);
      assert.is(at('dev/null').mode & 0o7777, 0o666);
      assert.ok(at('dev/loop0').isBlockDevice());
      assert.is(at('dev/loop0').gid, 6);
      assert.ok(at('run/pipe').isFIFO());
      assert.is(at('run/pipe').mode & 0o7777, 0o620);
      assert.is(xattr(path.join(fs, 'usr/lib/tagged'), 'user.origin'), 'layer-a');
      assert.is(xattr(path.join(fs, 'usr/lib/tagged'), 'trusted.note'), 'kept');
      assert.is(at('opt').mode & 0o7777, 0o750);
      assert.is(at('opt').mtimeMs, Date.parse('2001-02-03T04:05:06Z'), 'set after its contents');
      assert.is(at('usr').mode & 0o7777, 0o755, 'a parent the tar omits is made 0755');
      assert.is(at('').mode & 0o7777, 0o755);
    });

    test('whiteouts become a 0/0 character device and an opaque directory', async () => {
      const plain = await tarOf([
        { name: 'etc/.wh.passwd', body: '' },
        { name: 'var/', type: 'directory', mode: 0o755 },
        { name: 'var/.wh..wh..opq', body: '' },
        { name: 'var/new', body: 'n' },
        { name: '.wh..wh.plnk/1234', body: 'aufs bookkeeping' },
      ]);
      await unpack(plain);
      const fs = path.join(work, 'fs');
      const whiteout = lstatSync(path.join(fs, 'etc/passwd'));
      assert.ok(whiteout.isCharacterDevice());
      assert.is(whiteout.rdev, 0);
      assert.equal([whiteout.uid, whiteout.gid], [0, 0]);
      assert.is(xattr(path.join(fs, 'var'), 'trusted.overlay.opaque'), 'y');
      assert.is(readFileSync(path.join(fs, 'var/new'), 'utf8'), 'n');
      const names = spawnSync('find', ['.'], { cwd: fs, encoding: 'utf8' }).stdout;
      assert.not.match(names, '.wh.', 'no AUFS name is left in the tree');
      assert.not.match(names, 'tscompose-whiteout', 'the shared whiteout inode is unlinked');
    });

    test('a later entry replaces an earlier one, as Docker applies them', async () => {
      const plain = await tarOf([
        { name: 'a', body: 'first' },
        { name: 'a', body: 'second' },
        { name: 'd/', type: 'directory', mode: 0o700 },
        { name: 'd/f', body: 'f' },
        { name: 'd', type: 'symlink', linkname: 'a' },
      ]);
      await unpack(plain);
      assert.is(readFileSync(path.join(work, 'fs/a'), 'utf8'), 'second');
      assert.is(readlinkSync(path.join(work, 'fs/d')), 'a');
    });

    for (const [format, compress] of [
      ['plain', (data: Buffer) => data],
      ['gzip', (data: Buffer) => gzipSync(data)],
      ['zstd', zstd],
    ] as const) {
      test(`a ${format} layer unpacks and its diff ID is the plain tar's`, async () => {
        const plain = await tarOf([
          { name: 'big', body: 'y'.repeat(3 * 1024 * 1024 + 17) },
          { name: 'small', body: 'z' },
        ]);
        const blob = compress(plain);
        if (format !== 'plain') assert.ok(blob.length < plain.length / 10, 'really compressed');
        const result = await unpack(blob, sha256(plain));
        assert.is(result.diffId, sha256(plain));
        assert.is(lstatSync(path.join(work, 'fs/big')).size, 3 * 1024 * 1024 + 17);
        assert.is(readFileSync(path.join(work, 'fs/small'), 'utf8'), 'z');
      });
    }
  },
);

test.run();
