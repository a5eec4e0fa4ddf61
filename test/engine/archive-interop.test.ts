// Interop with tools no one here wrote: skopeo reads the archives tscompose saves and
// writes archives tscompose loads; umoci unpacks what tscompose saved.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadArchive } from '../../src/engine/image/archive/load.js';
import { saveArchive } from '../../src/engine/image/archive/save.js';
import { importRootfs } from '../../src/engine/image/import.js';
import { ImageRepository } from '../../src/engine/image/repository.js';
import type { ImageConfig, ImageIndex, ImageManifest } from '../../src/engine/image/types.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import { buildImage } from '../helpers/registry.js';
import { allOf, commandRuns, whenMet } from '../helpers/requirements.js';

const run = promisify(execFile);
const skopeo = commandRuns('skopeo', ['--version'], 'skopeo reads and writes image archives');
const umoci = commandRuns('umoci', ['--version'], 'umoci unpacks an OCI layout');

let source: TestEngine;
let target: TestEngine;
let dir: string;

test.before.each(() => {
  source = testEngine();
  target = testEngine();
  dir = mkdtempSync(path.join(tmpdir(), 'tscompose-archive-interop-'));
});
test.after.each(() => {
  source?.dispose();
  target?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** An OCI layout skopeo wrote: its one image's manifest and config. */
function readLayout(layout: string): { manifest: ImageManifest; config: ImageConfig } {
  const blob = (digest: string) =>
    readFileSync(path.join(layout, 'blobs', 'sha256', digest.slice(7)), 'utf8');
  const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as ImageIndex;
  const manifest = JSON.parse(blob(index.manifests[0]!.digest)) as ImageManifest;
  return { manifest, config: JSON.parse(blob(manifest.config.digest)) as ImageConfig };
}

whenMet(test, skopeo, () => {
  test('skopeo copies our oci-archive byte for byte', async () => {
    const built = await buildImage(source.engine, 'app:1', { layers: 2 });
    const file = path.join(dir, 'app.tar');
    await saveArchive(source.engine, ['app:1'], file, { format: 'oci-archive' });
    const layout = path.join(dir, 'layout');
    // Our oci-archive names the image by its full reference, as skopeo and podman do.
    await run('skopeo', [
      'copy',
      '-q',
      `oci-archive:${file}:docker.io/library/app:1`,
      `oci:${layout}:x`,
    ]);
    const { manifest } = readLayout(layout);
    assert.is(manifest.config.digest, built.configDigest);
    assert.equal(
      manifest.layers.map((layer) => layer.digest),
      built.layerDigests,
    );
  });

  test('skopeo reads our docker-archive: same config, same diff IDs', async () => {
    const built = await buildImage(source.engine, 'app:1', { layers: 2, format: 'docker' });
    const config = source.engine.store.readJson<ImageConfig>(built.configDigest);
    const file = path.join(dir, 'app.tar');
    await saveArchive(source.engine, ['app:1'], file, { format: 'docker-archive' });
    const { stdout } = await run('skopeo', ['inspect', `docker-archive:${file}`]);
    const inspected = JSON.parse(stdout) as { RepoTags: string[]; Layers: string[] };
    // skopeo names docker-archive layers by their uncompressed digest.
    assert.equal(inspected.Layers, config.rootfs.diff_ids);

    const layout = path.join(dir, 'layout');
    await run('skopeo', ['copy', '-q', `docker-archive:${file}`, `oci:${layout}:x`]);
    // skopeo converts the Docker manifest to OCI and may compress layers anew: the
    // diff IDs (the layers' content) are what must survive.
    assert.equal(readLayout(layout).config.rootfs.diff_ids, config.rootfs.diff_ids);
  });

  for (const format of ['docker-archive', 'oci-archive'] as const) {
    test(`we load the ${format} skopeo writes`, async () => {
      const built = await buildImage(source.engine, 'app:1', { layers: 2 });
      const config = source.engine.store.readJson<ImageConfig>(built.configDigest);
      const file = path.join(dir, 'skopeo.tar');
      await run('skopeo', [
        'copy',
        '-q',
        `oci:${source.engine.store.dir}:docker.io/library/app:1`,
        `${format}:${file}:example.com/skopeo/app:2`,
      ]);

      const loaded = await loadArchive(target.engine, file);

      assert.is(loaded.images.length, 1);
      assert.equal(loaded.images[0]!.refs, ['example.com/skopeo/app:2']);
      const images = new ImageRepository(target.engine.db, target.engine.store);
      const record = images.resolve('example.com/skopeo/app:2');
      const loadedConfig = target.engine.store.readJson<ImageConfig>(record.id);
      assert.equal(loadedConfig.rootfs.diff_ids, config.rootfs.diff_ids);
      // From an OCI layout skopeo copies blobs as they are; docker-archive holds
      // uncompressed layers, so there only the content (diff IDs) is comparable.
      if (format === 'oci-archive') {
        assert.is(record.manifestDigest, built.manifestDigest);
        assert.is(record.id, built.id);
      }
    });
  }
});

whenMet(test, allOf(skopeo, umoci), () => {
  test('umoci unpacks an imported root file system we saved', async () => {
    const rootfs = path.join(dir, 'tree');
    await run('mkdir', ['-p', `${rootfs}/etc`, `${rootfs}/bin`]);
    await run('sh', [
      '-c',
      `echo hello > ${rootfs}/etc/greeting && ln -s ../etc/greeting ${rootfs}/bin/link`,
    ]);
    await importRootfs(source.engine, rootfs, 'tree:1', { changes: ['CMD ["/bin/sh"]'] });
    const file = path.join(dir, 'tree.tar');
    await saveArchive(source.engine, ['tree:1'], file, { format: 'oci-archive' });
    const layout = path.join(dir, 'layout');
    await run('skopeo', [
      'copy',
      '-q',
      `oci-archive:${file}:docker.io/library/tree:1`,
      `oci:${layout}:x`,
    ]);
    const bundle = path.join(dir, 'bundle');
    await run('umoci', ['unpack', '--image', `${layout}:x`, bundle]);
    assert.is(readFileSync(path.join(bundle, 'rootfs', 'bin', 'link'), 'utf8'), 'hello\n');
    const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as {
      process: { args: string[] };
    };
    assert.equal(spec.process.args, ['/bin/sh']);
    assert.ok(existsSync(path.join(bundle, 'rootfs', 'etc')));
  });
});

test.run();
