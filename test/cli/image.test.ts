// `tscompose image ls|inspect|tag|rm|prune` against a real store in a temporary root.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Engine } from '../../src/engine/engine.js';
import { parseReference } from '../../src/engine/image/reference.js';
import { ImageRepository } from '../../src/engine/image/repository.js';
import { MEDIA } from '../../src/engine/image/types.js';
import { runCli } from '../helpers/cli.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';

let t: TestEngine;
let env: Record<string, string>;
test.before.each(() => {
  t = testEngine();
  env = { TSCOMPOSE_ROOT: t.engine.options.root, TSCOMPOSE_RUN_ROOT: t.engine.options.runRoot };
});
test.after.each(() => t.dispose());

function addImage(engine: Engine, name: string, text: string): string {
  const layer = engine.store.put(text);
  const config = engine.store.putJson({
    architecture: 'amd64',
    os: 'linux',
    created: new Date().toISOString(),
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
    config: { Cmd: ['sh'] },
  });
  const manifest = engine.store.putJson({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, ...config },
    layers: [{ mediaType: MEDIA.ociLayer, ...layer }],
  });
  const images = new ImageRepository(engine.db, engine.store);
  const image = images.record(manifest.digest);
  images.tag(parseReference(name), image.id);
  return image.id;
}

test('ls shows one row per name; -q the IDs; json the details', async () => {
  const id = addImage(t.engine, 'busybox:latest', 'x'.repeat(2000));
  const ls = await runCli(['image', 'ls'], { env });
  assert.is(ls.code, 0, ls.stderr);
  const lines = ls.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
  assert.match(
    lines[1]!,
    new RegExp(`^busybox\\s+latest\\s+${id.slice(7, 19)}\\s+Less than a minute ago\\s+\\d`),
  );
  assert.is((await runCli(['image', 'ls', '-q'], { env })).stdout, `${id.slice(7, 19)}\n`);
  const json = JSON.parse((await runCli(['image', 'ls', '--format', 'json'], { env })).stdout);
  assert.equal(json[0].RepoTags, ['busybox:latest']);
});

test('tag, inspect and rm work by name and by ID', async () => {
  const id = addImage(t.engine, 'busybox:latest', 'layer');
  assert.is((await runCli(['image', 'tag', 'busybox', 'me/box:1'], { env })).code, 0);
  const inspect = JSON.parse((await runCli(['image', 'inspect', 'me/box:1'], { env })).stdout);
  assert.is(inspect[0].Id, id);
  assert.equal(inspect[0].RepoTags, ['busybox:latest', 'me/box:1']);
  assert.equal(inspect[0].Config.Cmd, ['sh']);

  const byId = await runCli(['image', 'rm', id.slice(7, 19)], { env });
  assert.is(byId.code, 5, 'several names: a conflict without -f');
  assert.match(byId.stderr, /pass --force/);
  const rm = await runCli(['image', 'rm', 'me/box:1', 'busybox'], { env });
  assert.is(rm.stdout, `Untagged: me/box:1\nUntagged: busybox:latest\nDeleted: ${id}\n`);
  assert.is((await runCli(['image', 'ls', '-q'], { env })).stdout, '');
});

test('an unknown image exits 4 with a hint', async () => {
  const missing = await runCli(['image', 'inspect', 'nope'], { env });
  assert.is(missing.code, 4);
  assert.match(missing.stderr, /^error: no such image: nope\n  hint: /);
});

test('a root the engine cannot create is a permission error naming it', async () => {
  // A regular file where a directory should be: mkdir fails the same way for root and users.
  const file = path.join(t.engine.options.root, 'not-a-directory');
  writeFileSync(file, '');
  const result = await runCli(['image', 'ls'], { env: { TSCOMPOSE_ROOT: `${file}/root` } });
  assert.is(result.code, 7);
  assert.match(result.stderr, /cannot create the engine's state in \S+\/not-a-directory\/root/);
});

test('a command group alone or with --help lists its commands; an unknown one names them', async () => {
  for (const argv of [['image'], ['image', '--help'], ['volume', '-h']]) {
    const listed = await runCli(argv);
    assert.is(listed.code, 0, argv.join(' '));
    assert.match(listed.stdout, new RegExp(`^Usage: tscompose ${argv[0]} COMMAND\\n`));
    assert.is(listed.stderr, '');
  }
  assert.match((await runCli(['image'])).stdout, /ls\s+List images/);
  const unknown = await runCli(['image', 'nope']);
  assert.is(unknown.code, 2);
  assert.match(
    unknown.stderr,
    'error: unknown command "image nope"\n  hint: image has: bootstrap,',
  );
});

test.run();
