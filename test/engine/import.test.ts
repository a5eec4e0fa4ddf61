// image import: a directory or a tar (plain, gzip, zstd) becomes a one-layer image, with
// `--change` instructions applied to its config as Docker applies them.
import { execFileSync } from 'node:child_process';
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidError } from '../../src/errors.js';
import { applyChanges } from '../../src/engine/image/archive/changes.js';
import { importRootfs } from '../../src/engine/image/import.js';
import { ImageRepository } from '../../src/engine/image/repository.js';
import { MEDIA, type ImageConfig, type ImageManifest } from '../../src/engine/image/types.js';
import { digestOf } from '../../src/engine/store/digest.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import { allOf, commandRuns, runningAsRoot, whenMet } from '../helpers/requirements.js';

const CREATED = new Date('2024-01-02T03:04:05Z');

let t: TestEngine;
let dir: string;
let tree: string;

test.before.each(() => {
  t = testEngine();
  dir = mkdtempSync(path.join(tmpdir(), 'tscompose-import-'));
  tree = path.join(dir, 'tree');
  mkdirSync(path.join(tree, 'bin'), { recursive: true });
  mkdirSync(path.join(tree, 'etc'));
  writeFileSync(path.join(tree, 'bin', 'tool'), '#!/bin/sh\necho tool\n', { mode: 0o4755 });
  linkSync(path.join(tree, 'bin', 'tool'), path.join(tree, 'bin', 'tool-again'));
  symlinkSync('tool', path.join(tree, 'bin', 'alias'));
  writeFileSync(path.join(tree, 'etc', 'os-release'), 'ID=test\n');
});
test.after.each(() => {
  t?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function imageParts(id: string) {
  const record = new ImageRepository(t.engine.db, t.engine.store).get(id)!;
  const manifest = t.engine.store.readJson<ImageManifest>(record.manifestDigest);
  const config = t.engine.store.readJson<ImageConfig>(id);
  const layer = gunzipSync(t.engine.store.read(manifest.layers[0]!.digest));
  return { record, manifest, config, layer };
}

async function entriesOf(layer: Buffer): Promise<Map<string, Header>> {
  const entries = new Map<string, Header>();
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      entries.set(entry.header.name, entry.header);
      entry.resume();
    }
  })();
  extract.end(layer);
  await reading;
  return entries;
}

test('a directory becomes one gzip layer keeping modes, symbolic and hard links', async () => {
  const result = await importRootfs(t.engine, tree, 'tree:1', { created: CREATED });

  assert.is(result.ref, 'docker.io/library/tree:1');
  const { manifest, config, layer } = imageParts(result.id);
  assert.is(manifest.mediaType, MEDIA.ociManifest);
  assert.equal(
    manifest.layers.map((l) => l.mediaType),
    [MEDIA.ociLayerGzip],
  );
  assert.equal(config.rootfs.diff_ids, [digestOf(layer)]);
  assert.is(config.created, CREATED.toISOString());
  assert.is(config.history?.[0]?.comment, `Imported from ${tree}`);
  const entries = await entriesOf(layer);
  assert.equal(
    [...entries.keys()],
    ['bin/', 'bin/alias', 'bin/tool', 'bin/tool-again', 'etc/', 'etc/os-release'],
  );
  assert.is(entries.get('bin/tool')!.mode, 0o4755);
  assert.is(entries.get('bin/alias')!.type, 'symlink');
  assert.is(entries.get('bin/alias')!.linkname, 'tool');
  assert.is(entries.get('bin/tool-again')!.type, 'link');
  assert.is(entries.get('bin/tool-again')!.linkname, 'bin/tool');
});

test('the same tree imports to the same image, and a schema-2 manifest on request', async () => {
  const first = await importRootfs(t.engine, tree, 'a:1', { created: CREATED });
  const second = await importRootfs(t.engine, tree, 'b:1', { created: CREATED });
  assert.is(second.id, first.id);
  const docker = await importRootfs(t.engine, tree, 'c:1', { created: CREATED, format: 'docker' });
  const { manifest } = imageParts(docker.id);
  assert.is(manifest.mediaType, MEDIA.dockerManifest);
  assert.is(manifest.config.mediaType, MEDIA.dockerConfig);
  assert.is(manifest.layers[0]!.mediaType, MEDIA.dockerLayerGzip);
});

whenMet(test, commandRuns('zstd', ['--version'], 'zstd compresses a rootfs tar'), () => {
  test('a tar file, plain, gzip or zstd, is kept byte for byte as the layer content', async () => {
    const plain = path.join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', tree, '-cf', plain, '.']);
    execFileSync('gzip', ['-k', plain]);
    execFileSync('zstd', ['-q', plain, '-o', `${plain}.zst`]);
    const want = digestOf(readFileSync(plain));
    for (const file of [plain, `${plain}.gz`, `${plain}.zst`]) {
      const result = await importRootfs(t.engine, file, undefined, { message: 'from a tar' });
      assert.is(result.ref, undefined);
      const { config } = imageParts(result.id);
      assert.equal(config.rootfs.diff_ids, [want], file);
      assert.is(config.history?.[0]?.comment, 'from a tar');
    }
  });
});

whenMet(test, allOf(runningAsRoot('devices and owners need root')), () => {
  test('devices and owners survive the import of a directory', async () => {
    execFileSync('mknod', [path.join(tree, 'etc', 'null'), 'c', '1', '3']);
    execFileSync('chown', ['1234:5678', path.join(tree, 'etc', 'os-release')]);
    const result = await importRootfs(t.engine, tree, 'dev:1');
    const entries = await entriesOf(imageParts(result.id).layer);
    const device = entries.get('etc/null')!;
    assert.is(device.type, 'character-device');
    assert.is(device.devmajor, 1);
    assert.is(device.devminor, 3);
    assert.is(entries.get('etc/os-release')!.uid, 1234);
    assert.is(entries.get('etc/os-release')!.gid, 5678);
  });
});

test('--change instructions, in JSON and shell forms, as a Dockerfile applies them', () => {
  const config = applyChanges([
    'ENV BASE=/opt/app PATH=/usr/bin:/bin',
    'ENV GREETING hello world',
    'label "com.example.name"="my app" version=${BASE:+1}',
    'EXPOSE 80 53/udp 8000-8002',
    'USER nobody:nogroup',
    'WORKDIR $BASE',
    'WORKDIR sub',
    'VOLUME ["/data", "/cache"]',
    'VOLUME /logs',
    'STOPSIGNAL SIGQUIT',
    'ONBUILD RUN echo built',
    'ENTRYPOINT ["/bin/tini", "--"]',
    'CMD echo "$GREETING"',
    'HEALTHCHECK --interval=30s --retries=3 CMD curl -f http://localhost/',
  ]);
  assert.equal(config, {
    Env: ['BASE=/opt/app', 'PATH=/usr/bin:/bin', 'GREETING=hello world'],
    Labels: { 'com.example.name': 'my app', version: '1' },
    ExposedPorts: { '80/tcp': {}, '53/udp': {}, '8000/tcp': {}, '8001/tcp': {}, '8002/tcp': {} },
    User: 'nobody:nogroup',
    WorkingDir: '/opt/app/sub',
    Volumes: { '/data': {}, '/cache': {}, '/logs': {} },
    StopSignal: 'SIGQUIT',
    OnBuild: ['RUN echo built'],
    Entrypoint: ['/bin/tini', '--'],
    Cmd: ['/bin/sh', '-c', 'echo "$GREETING"'],
    Healthcheck: { Interval: 30e9, Retries: 3, Test: ['CMD-SHELL', 'curl -f http://localhost/'] },
  });
});

test('an ENTRYPOINT drops a CMD set before it only if this image set none', () => {
  assert.equal(applyChanges(['ENTRYPOINT ["a"]']), { Entrypoint: ['a'], Cmd: null });
  assert.equal(applyChanges(['CMD ["b"]', 'ENTRYPOINT a']), {
    Cmd: ['b'],
    Entrypoint: ['/bin/sh', '-c', 'a'],
  });
});

for (const [change, words] of [
  ['RUN apt-get update', ['unknown --change instruction RUN', 'RUN apt-get update']],
  ['FROM debian', ['unknown --change instruction FROM']],
  ['EXPOSE http', ['EXPOSE http', 'not a port']],
  ['STOPSIGNAL SIGNOPE', ['not a signal']],
  ['ENV', ['ENV needs an argument']],
  ['ONBUILD ONBUILD RUN x', ['not allowed as an ONBUILD trigger']],
  ['ENV A="unclosed', ['unmatched " quote']],
] as const) {
  test(`--change ${change} is refused before anything is stored`, async () => {
    const before = t.engine.store.list();
    try {
      await importRootfs(t.engine, tree, 'bad:1', { changes: [change] });
      assert.unreachable('the import should have failed');
    } catch (error) {
      assert.instance(error, InvalidError);
      for (const word of words) assert.match((error as Error).message, word);
    }
    assert.equal(t.engine.store.list(), before);
  });
}

test('a truncated tar, or one whose entries leave the root, stores nothing', async () => {
  const cut = path.join(dir, 'cut.tar');
  execFileSync('tar', ['-C', tree, '-cf', cut, '.']);
  truncateSync(cut, 1536);
  const escaping = path.join(dir, 'escaping.tar');
  const pack = tar.pack();
  pack.entry({ name: '../outside', mtime: new Date(0) }, 'x');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  writeFileSync(escaping, Buffer.concat(chunks));

  for (const [file, word] of [
    [cut, 'truncated or corrupt'],
    [escaping, '../outside'],
  ] as const) {
    try {
      await importRootfs(t.engine, file, 'bad:1');
      assert.unreachable('the import should have failed');
    } catch (error) {
      assert.instance(error, InvalidError);
      assert.match((error as Error).message, file);
      assert.match((error as Error).message, word);
    }
  }
  assert.equal(t.engine.store.list(), []);
  assert.equal(readdirSync(t.engine.store.ingestDir), []);
  assert.equal(new ImageRepository(t.engine.db, t.engine.store).list(), []);
});

test.run();
