// Round trips through a real Docker daemon, started privately for this file
// (test/helpers/dockerd.ts): tscompose save → docker load → docker save → tscompose load.
//
// What survives and what cannot: Docker keeps an image's config byte for byte, so the
// image ID (the config's digest) and the diff IDs must match exactly. Docker 20.10
// stores layers uncompressed and its `docker save` writes no manifest, so layer blob
// digests and the manifest digest differ after the trip through it by design: the
// loader makes the manifest Docker's archive lacks.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadArchive } from '../../src/engine/image/archive/load.js';
import { saveArchive } from '../../src/engine/image/archive/save.js';
import { importRootfs } from '../../src/engine/image/import.js';
import { ImageRepository } from '../../src/engine/image/repository.js';
import type { ImageConfig, ImageManifest } from '../../src/engine/image/types.js';
import { startDockerd, type Dockerd } from '../helpers/dockerd.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import { buildImage } from '../helpers/registry.js';
import { allOf, commandRuns, runningAsRoot, whenMet } from '../helpers/requirements.js';

const run = promisify(execFile);
const requirement = allOf(
  runningAsRoot('a Docker daemon runs as root'),
  commandRuns('dockerd', ['--version'], 'these tests round-trip images through docker (docker.io)'),
  commandRuns('docker', ['--version'], 'the docker client talks to the private daemon'),
);

interface Inspected {
  Id: string;
  RepoTags: string[];
  RootFS: { Layers: string[] };
  Config: { Cmd: string[] | null; Env: string[] | null };
}

let dockerd: Dockerd | undefined;
let source: TestEngine;
let target: TestEngine;
let dir: string;

test.before(async () => {
  if (requirement.met) dockerd = await startDockerd();
});
test.after(async () => {
  await dockerd?.stop();
});
test.before.each(() => {
  source = testEngine();
  target = testEngine();
  dir = mkdtempSync(path.join(tmpdir(), 'tscompose-archive-docker-'));
});
test.after.each(() => {
  source?.dispose();
  target?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function inspect(name: string): Promise<Inspected> {
  const out = await dockerd!.docker(['image', 'inspect', name]);
  return (JSON.parse(out) as Inspected[])[0]!;
}

whenMet(test, requirement, () => {
  test('tscompose save → docker load → docker save → tscompose load keeps ID and diff IDs', async () => {
    const built = await buildImage(source.engine, 'roundtrip/app:1', {
      layers: 3,
      format: 'docker',
    });
    const config = source.engine.store.readJson<ImageConfig>(built.configDigest);
    const ours = path.join(dir, 'ours.tar');
    await saveArchive(source.engine, ['roundtrip/app:1'], ours);

    await dockerd!.docker(['load', '-q', '-i', ours]);
    const inDocker = await inspect('roundtrip/app:1');
    assert.is(inDocker.Id, built.id);
    assert.equal(inDocker.RootFS.Layers, config.rootfs.diff_ids);

    const theirs = path.join(dir, 'theirs.tar');
    await dockerd!.docker(['save', '-o', theirs, 'roundtrip/app:1']);
    const loaded = await loadArchive(target.engine, theirs);

    assert.equal(loaded, {
      format: 'docker-archive',
      images: [{ id: built.id, refs: ['docker.io/roundtrip/app:1'] }],
    });
    assert.equal(target.engine.store.read(built.id), source.engine.store.read(built.id));
    const record = new ImageRepository(target.engine.db, target.engine.store).get(built.id)!;
    const manifest = target.engine.store.readJson<ImageManifest>(record.manifestDigest);
    // Docker handed the layers back uncompressed: their blob digests are the diff IDs.
    assert.equal(
      manifest.layers.map((layer) => layer.digest),
      config.rootfs.diff_ids,
    );
  });

  test('an image Docker made (docker import) loads from a gzip-compressed docker save', async () => {
    const tree = path.join(dir, 'tree');
    mkdirSync(path.join(tree, 'etc'), { recursive: true });
    writeFileSync(path.join(tree, 'etc', 'motd'), 'made by docker\n');
    const rootfs = path.join(dir, 'rootfs.tar');
    await run('tar', ['-C', tree, '-cf', rootfs, '.']);
    await dockerd!.docker(['import', '--change', 'CMD ["/bin/true"]', rootfs, 'docker-made:1']);
    const inDocker = await inspect('docker-made:1');
    const saved = path.join(dir, 'docker-made.tar');
    await dockerd!.docker(['save', '-o', saved, 'docker-made:1']);
    writeFileSync(`${saved}.gz`, gzipSync(readFileSync(saved)));

    const loaded = await loadArchive(target.engine, `${saved}.gz`);

    assert.equal(loaded.images, [{ id: inDocker.Id, refs: ['docker.io/library/docker-made:1'] }]);
    const config = target.engine.store.readJson<ImageConfig>(inDocker.Id);
    assert.equal(config.rootfs.diff_ids, inDocker.RootFS.Layers);
    assert.equal(config.config?.Cmd, ['/bin/true']);
  });

  test('docker loads what importRootfs made, and sees its --change config', async () => {
    const tree = path.join(dir, 'tree');
    mkdirSync(path.join(tree, 'app'), { recursive: true });
    writeFileSync(path.join(tree, 'app', 'run.sh'), '#!/bin/sh\necho ok\n', { mode: 0o755 });
    const imported = await importRootfs(source.engine, tree, 'imported:1', {
      changes: ['ENV MODE=test', 'CMD ["/app/run.sh"]', 'WORKDIR /app'],
      format: 'docker',
    });
    const file = path.join(dir, 'imported.tar');
    await saveArchive(source.engine, ['imported:1'], file);
    await dockerd!.docker(['load', '-q', '-i', file]);
    const inDocker = await inspect('imported:1');
    assert.is(inDocker.Id, imported.id);
    assert.equal(inDocker.Config.Cmd, ['/app/run.sh']);
    assert.equal(inDocker.Config.Env, ['MODE=test']);
  });
});

test.run();
