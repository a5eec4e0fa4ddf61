// Interop with a tool no one here wrote: skopeo copies an image from tscompose's OCI
// layout to the registry and tscompose pulls it; tscompose pushes and skopeo reads it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pullImage } from '../../src/engine/registry/pull.js';
import { pushImage } from '../../src/engine/registry/push.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import { buildImage, startRegistry, type Registry } from '../helpers/registry.js';
import { allOf, commandRuns, whenMet } from '../helpers/requirements.js';

const run = promisify(execFile);
const requirement = allOf(
  commandRuns('docker-registry', ['--version'], 'these tests run a real registry'),
  commandRuns('skopeo', ['--version'], 'skopeo is the independent client these tests compare with'),
);

let registry: Registry;
let source: TestEngine;
let target: TestEngine;

test.before(async () => {
  if (requirement.met) registry = await startRegistry();
});
test.after(async () => {
  await registry?.stop();
});
test.before.each(() => {
  source = testEngine();
  target = testEngine();
});
test.after.each(() => {
  source?.dispose();
  target?.dispose();
});

whenMet(test, requirement, () => {
  test('skopeo copies from the engine store to the registry; tscompose pulls it back', async () => {
    // OCI media types: skopeo 1.9 skips index.json entries that name Docker manifests.
    const built = await buildImage(source.engine, 'app:1', { layers: 3 });
    const dest = `docker://${registry.domain}/skopeo/app:1`;
    // The store is an OCI layout whose index.json names images by their full reference.
    await run('skopeo', [
      'copy',
      '--dest-tls-verify=false',
      `oci:${source.engine.store.dir}:docker.io/library/app:1`,
      dest,
    ]);
    const pulled = await pullImage(target.engine, `${registry.domain}/skopeo/app:1`);
    assert.is(pulled.digest, built.manifestDigest);
    for (const digest of [built.manifestDigest, built.configDigest, ...built.layerDigests]) {
      assert.equal(target.engine.store.read(digest), source.engine.store.read(digest));
    }
  });

  test('what tscompose pushes, skopeo inspects byte for byte', async () => {
    const built = await buildImage(source.engine, 'app:1', { layers: 2 });
    const name = `${registry.domain}/pushed/app:2`;
    const pushed = await pushImage(source.engine, 'app:1', name);
    const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', `docker://${name}`]);
    const inspected = JSON.parse(stdout) as {
      Digest: string;
      Layers: string[];
      Architecture: string;
    };
    assert.is(inspected.Digest, pushed.digest);
    assert.equal(inspected.Layers, built.layerDigests);
    assert.is(inspected.Architecture, built.platform.architecture);
    const raw = await run(
      'skopeo',
      ['inspect', '--raw', '--tls-verify=false', `docker://${name}`],
      { encoding: 'buffer' },
    );
    assert.equal(raw.stdout, source.engine.store.read(built.manifestDigest));
  });
});

test.run();
