// image bootstrap: busybox from the host's static busybox, Debian minbase via debootstrap
// (slow: it downloads and installs packages from the mirror), and the mirror choice.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidError, NotFoundError } from '../../src/errors.js';
import { bootstrapBusybox, bootstrapDebian, hostMirror } from '../../src/engine/image/bootstrap.js';
import { interpreterOf } from '../../src/engine/image/bootstrap/busybox.js';
import { mountsUnder } from '../../src/engine/image/bootstrap/mounts.js';
import { ImageRepository } from '../../src/engine/image/repository.js';
import type { ImageConfig, ImageManifest } from '../../src/engine/image/types.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import { allOf, commandRuns, runningAsRoot, whenMet } from '../helpers/requirements.js';

const busyboxStatic = commandRuns('/bin/busybox', ['true'], 'busybox-static provides /bin/busybox');
const root = runningAsRoot('chroot and debootstrap need root');
const debootstrap = commandRuns('debootstrap', ['--version'], 'debootstrap builds Debian minbase');

let t: TestEngine;
let dir: string;

test.before.each(() => {
  t = testEngine();
  dir = mkdtempSync(path.join(tmpdir(), 'tscompose-bootstrap-'));
});
test.after.each(() => {
  t?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface Layer {
  config: ImageConfig;
  entries: Map<string, { header: Header; data: Buffer }>;
  tar: Buffer;
}

async function layerOf(id: string): Promise<Layer> {
  const record = new ImageRepository(t.engine.db, t.engine.store).get(id)!;
  const manifest = t.engine.store.readJson<ImageManifest>(record.manifestDigest);
  const layer = gunzipSync(t.engine.store.read(manifest.layers[0]!.digest));
  const entries: Layer['entries'] = new Map();
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      entries.set(entry.header.name, { header: entry.header, data: Buffer.concat(chunks) });
    }
  })();
  extract.end(layer);
  await reading;
  return { config: t.engine.store.readJson<ImageConfig>(id), entries, tar: layer };
}

test('the mirror comes from the host apt sources, one-line or deb822, security skipped', () => {
  const apt = path.join(dir, 'apt');
  mkdirSync(path.join(apt, 'sources.list.d'), { recursive: true });
  assert.is(hostMirror(apt), 'http://deb.debian.org/debian');
  writeFileSync(
    path.join(apt, 'sources.list.d', 'debian.sources'),
    [
      'Types: deb',
      'URIs: http://security.debian.org/debian-security',
      'Suites: bookworm-security',
      '',
      'Types: deb deb-src',
      'URIs: http://mirror.example.org/debian/',
      'Suites: bookworm bookworm-updates',
      'Components: main',
    ].join('\n'),
  );
  assert.is(hostMirror(apt), 'http://mirror.example.org/debian');
  writeFileSync(
    path.join(apt, 'sources.list'),
    '# a comment\ndeb [arch=amd64] https://other.example.org/debian bookworm main\n',
  );
  assert.is(hostMirror(apt), 'https://other.example.org/debian');
});

test('a dynamically linked binary is told apart from a static one', () => {
  const ls = readFileSync('/bin/ls').subarray(0, 4096);
  assert.is(interpreterOf(ls), true);
});

test('a busybox that is not there names the package to install', async () => {
  try {
    await bootstrapBusybox(t.engine, 'busybox:x', { busybox: path.join(dir, 'busybox') });
    assert.unreachable('bootstrap should have failed');
  } catch (error) {
    assert.instance(error, NotFoundError);
    assert.match((error as Error).message, 'busybox-static');
  }
  assert.equal(t.engine.store.list(), []);
});

whenMet(test, busyboxStatic, () => {
  test('busybox: the static binary, applets as links, passwd, group, /tmp 1777, CMD sh', async () => {
    assert.is(interpreterOf(readFileSync('/bin/busybox').subarray(0, 4096)), false);
    const result = await bootstrapBusybox(t.engine, 'busybox:host');

    assert.is(result.ref, 'docker.io/library/busybox:host');
    const { config, entries } = await layerOf(result.id);
    assert.equal(config.config?.Cmd, ['sh']);
    assert.match(config.config?.Env?.[0] ?? '', /^PATH=.*\/bin/);
    assert.equal(entries.get('bin/busybox')!.data, readFileSync('/bin/busybox'));
    assert.is(entries.get('bin/busybox')!.header.mode, 0o755);
    assert.is(entries.get('bin/sh')!.header.type, 'symlink');
    assert.is(entries.get('bin/sh')!.header.linkname, '/bin/busybox');
    assert.is(entries.get('tmp/')!.header.mode, 0o1777);
    const passwd = entries.get('etc/passwd')!.data.toString();
    assert.match(passwd, /^root:x:0:0:/m);
    assert.match(passwd, /^nobody:x:65534:65534:/m);
    assert.match(entries.get('etc/group')!.data.toString(), /^nobody:x:65534:$/m);
    for (const [, { header }] of entries) assert.is(header.uid, 0, header.name);
  });

  test('busybox with hard links, and the same layer twice', async () => {
    const one = await bootstrapBusybox(t.engine, 'busybox:a', { links: 'hardlink' });
    const two = await bootstrapBusybox(t.engine, 'busybox:b', { links: 'hardlink' });
    const first = await layerOf(one.id);
    assert.equal(first.config.rootfs.diff_ids, (await layerOf(two.id)).config.rootfs.diff_ids);
    assert.is(first.entries.get('bin/sh')!.header.type, 'link');
    assert.is(first.entries.get('bin/sh')!.header.linkname, 'bin/busybox');
  });
});

whenMet(test, allOf(busyboxStatic, root), () => {
  test('the busybox image runs: its shell and applets work in a chroot', async () => {
    const result = await bootstrapBusybox(t.engine, 'busybox:run');
    const rootfs = path.join(dir, 'rootfs');
    mkdirSync(rootfs);
    const layer = path.join(dir, 'layer.tar');
    writeFileSync(layer, (await layerOf(result.id)).tar);
    execFileSync('tar', ['-C', rootfs, '-xpf', layer]);
    const out = execFileSync(
      'chroot',
      [rootfs, '/bin/sh', '-c', 'echo one two | awk "{print \\$2}"; id -un; stat -c %a /tmp'],
      { encoding: 'utf8', env: { PATH: '/bin:/usr/bin:/sbin:/usr/sbin' } },
    );
    assert.is(out, 'two\nroot\n1777\n');
  });
});

test('bootstrapDebian refuses a package name that is not one, before running anything', async () => {
  try {
    await bootstrapDebian(t.engine, 'debian:x', { packages: ['ok', '--evil'] });
    assert.unreachable('bootstrap should have failed');
  } catch (error) {
    assert.instance(error, InvalidError);
    assert.match((error as Error).message, '--evil');
  }
});

whenMet(test, root, () => {
  test('without debootstrap, bootstrapDebian names the package and leaves nothing behind', async () => {
    const path_ = process.env.PATH;
    process.env.PATH = dir;
    try {
      await bootstrapDebian(t.engine, 'debian:x');
      assert.unreachable('bootstrap should have failed');
    } catch (error) {
      assert.instance(error, NotFoundError);
      assert.match((error as NotFoundError).hint ?? '', 'debootstrap');
    } finally {
      process.env.PATH = path_;
    }
    assert.equal(readdirSync(t.engine.paths.tmp), []);
  });
});

whenMet(test, allOf(root, debootstrap), () => {
  // One run, minutes long: debootstrap fetches and installs minbase plus one small package.
  test('Debian minbase via debootstrap, with an extra package, as one layer', async () => {
    const lines: string[] = [];
    const result = await bootstrapDebian(t.engine, 'debian:hello', {
      suite: 'bookworm',
      packages: ['hello'],
      onOutput: (line) => lines.push(line),
    });

    assert.ok(lines.length > 0, 'debootstrap output reached onOutput');
    const { config, entries } = await layerOf(result.id);
    assert.equal(config.config?.Cmd, ['bash']);
    assert.match(config.config?.Env?.[0] ?? '', /^PATH=/);
    assert.ok(entries.has('usr/bin/hello'), 'the extra package is installed');
    assert.ok(entries.has('var/lib/dpkg/info/hello.list'));
    assert.ok(entries.has('usr/bin/apt-get'), 'minbase has apt');
    assert.is(entries.get('etc/resolv.conf')!.data.length, 0);
    assert.ok(![...entries.keys()].some((name) => name.endsWith('.deb')), 'no downloaded .deb');
    assert.equal(readdirSync(t.engine.paths.tmp), [], 'the scratch root file system is gone');
    assert.equal(mountsUnder(t.root), []);
  });
});

test.run();
