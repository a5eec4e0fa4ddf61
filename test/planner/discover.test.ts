import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidError, NotFoundError } from '../../src/errors.js';
import {
  chooseProjectName,
  discoverFiles,
  normalizeProjectName,
} from '../../src/planner/discover.js';

let root = '';
test.before.each(() => {
  root = mkdtempSync(path.join(tmpdir(), 'tscompose-discover-'));
});
test.after.each(() => rmSync(root, { recursive: true, force: true }));

function touch(...parts: string[]): string {
  const file = path.join(root, ...parts);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, 'services: {}\n');
  return file;
}

test('finds compose.yaml and its override, preferring compose.yaml over docker-compose.yml', () => {
  const main = touch('compose.yaml');
  touch('docker-compose.yml');
  const override = touch('compose.override.yaml');
  const found = discoverFiles({ cwd: root, files: [], environment: {} });
  assert.equal(found.files, [main, override]);
  assert.is(found.projectDirectory, root);
  assert.match(found.warnings[0] ?? '', /using compose\.yaml/);
});

test('looks in parent directories, as Docker Compose does', () => {
  const main = touch('docker-compose.yml');
  mkdirSync(path.join(root, 'src', 'deep'), { recursive: true });
  const found = discoverFiles({ cwd: path.join(root, 'src', 'deep'), files: [], environment: {} });
  assert.equal(found.files, [main]);
  assert.is(found.projectDirectory, root);
});

test('-f wins over COMPOSE_FILE; COMPOSE_FILE splits on its separator', () => {
  const a = touch('a.yaml');
  const b = touch('sub', 'b.yaml');
  const byVariable = discoverFiles({
    cwd: root,
    files: [],
    environment: { COMPOSE_FILE: 'a.yaml;sub/b.yaml', COMPOSE_PATH_SEPARATOR: ';' },
  });
  assert.equal(byVariable.files, [a, b]);
  const byFlag = discoverFiles({
    cwd: root,
    files: ['sub/b.yaml'],
    environment: { COMPOSE_FILE: 'a.yaml' },
  });
  assert.equal(byFlag.files, [b]);
  assert.is(
    byFlag.projectDirectory,
    path.join(root, 'sub'),
    'the first file decides the project directory',
  );
});

test('--project-directory moves the project, - stands for stdin', () => {
  touch('other', 'x');
  const found = discoverFiles({
    cwd: root,
    files: ['-'],
    projectDirectory: 'other',
    environment: {},
  });
  assert.equal(found.files, ['-']);
  assert.is(found.projectDirectory, path.join(root, 'other'));
});

test('missing files and directories are named', () => {
  assert.throws(
    () => discoverFiles({ cwd: root, files: ['nope.yaml'], environment: {} }),
    (e: unknown) => e instanceof NotFoundError && /nope\.yaml/.test((e as Error).message),
  );
  assert.throws(
    () => discoverFiles({ cwd: root, files: [], environment: {} }),
    (e: unknown) =>
      e instanceof NotFoundError && /no compose file found/.test((e as Error).message),
  );
  mkdirSync(path.join(root, 'dir.yaml'));
  assert.throws(
    () => discoverFiles({ cwd: root, files: ['dir.yaml'], environment: {} }),
    (e: unknown) => e instanceof InvalidError && /is a directory/.test((e as Error).message),
  );
});

const names: [string, string][] = [
  ['My App', 'myapp'],
  ['__under', 'under'],
  ['-dash.name', 'dashname'],
  ['Proj_1-x', 'proj_1-x'],
];
for (const [input, expected] of names) {
  test(`a directory named "${input}" becomes project "${expected}"`, () => {
    assert.is(normalizeProjectName(input), expected);
    assert.is(chooseProjectName({ directory: `/x/${input}` }).name, expected);
  });
}

test('project name: -p, then COMPOSE_PROJECT_NAME, then name:, then the directory', () => {
  assert.equal(chooseProjectName({ flag: 'a', environment: 'b', file: 'c', directory: '/d' }), {
    name: 'a',
    source: 'flag',
  });
  assert.equal(chooseProjectName({ environment: 'b', file: 'c', directory: '/d' }), {
    name: 'b',
    source: 'environment',
  });
  assert.equal(chooseProjectName({ file: 'c', directory: '/d' }), { name: 'c', source: 'file' });
  assert.equal(chooseProjectName({ directory: '/d' }), { name: 'd', source: 'directory' });
});

test('an invalid -p is an error, not silently changed', () => {
  assert.throws(
    () => chooseProjectName({ flag: 'My App', directory: '/d' }),
    (e: unknown) =>
      e instanceof InvalidError &&
      (e as Error).message.startsWith('invalid project name "My App" (from -p)') &&
      /myapp/.test((e as InvalidError).hint ?? ''),
  );
  assert.throws(() => chooseProjectName({ file: 42, directory: '/d' }), /name must be a string/);
  assert.throws(() => chooseProjectName({ directory: '/___' }), /project name must not be empty/);
});

test.run();
