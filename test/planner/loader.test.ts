// The planner end to end on small files written for each behaviour: errors must come
// out as one message naming the file, line and YAML path.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatError, TsComposeError } from '../../src/errors.js';
import { loadProject, type LoadOptions } from '../../src/planner/loader.js';

let dir = '';
test.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tscompose-loader-'));
});
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

function write(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
}

function load(options: Partial<LoadOptions> = {}) {
  return loadProject({ cwd: dir, environment: {}, homeDir: '/home/dev', ...options });
}

/** The error's one-line text, with the temporary directory shown as `.`. */
function failure(options: Partial<LoadOptions> = {}): { text: string; error: TsComposeError } {
  try {
    load(options);
  } catch (error) {
    assert.instance(error, TsComposeError, String(error));
    const text = formatError(error as TsComposeError)
      .split(`${dir}/`)
      .join('');
    return { text: text.split('\n')[0]!, error: error as TsComposeError };
  }
  throw new Error('expected the load to fail');
}

const errors: [string, Record<string, string>, string][] = [
  [
    'a dependency on an undefined service',
    { 'compose.yaml': 'services:\n  web:\n    image: a\n    depends_on: [db]\n' },
    'compose.yaml:4:5: services.web.depends_on.db: service "web" depends on undefined service "db"',
  ],
  [
    'a dependency cycle, as the whole loop',
    {
      'compose.yaml':
        'services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x, depends_on: [a]}\n',
    },
    'compose.yaml:2:3: services.a: dependency cycle: a → b → c → a',
  ],
  [
    'an undefined named volume',
    { 'compose.yaml': 'services:\n  db:\n    image: x\n    volumes: ["data:/var/lib/db"]\n' },
    'compose.yaml:4:15: services.db.volumes[0]: service "db" refers to undefined volume "data"',
  ],
  [
    'an undefined network',
    { 'compose.yaml': 'services:\n  web:\n    image: x\n    networks: [front]\n' },
    'compose.yaml:4:5: services.web.networks.front: service "web" refers to undefined network "front"',
  ],
  [
    'a required variable that is unset',
    { 'compose.yaml': 'services:\n  web:\n    image: "${IMAGE:?set IMAGE to the web image}"\n' },
    'compose.yaml:3:5: services.web.image: required variable IMAGE is missing a value: set IMAGE to the web image',
  ],
  [
    'an error in an override file points into that file',
    {
      'compose.yaml': 'services:\n  web:\n    image: x\n',
      'compose.override.yaml': 'services:\n  web:\n    depends_on: [nope]\n',
    },
    'compose.override.yaml:3:5: services.web.depends_on.nope: service "web" depends on undefined service "nope"',
  ],
  [
    'extends of a missing service',
    { 'compose.yaml': 'services:\n  web:\n    extends: base\n' },
    'compose.yaml:3:5: services.web.extends: service "web" extends service "base", which is not defined in compose.yaml',
  ],
];

for (const [name, files, expected] of errors) {
  test(`refuses ${name}`, () => {
    write(files);
    assert.is(failure().text, expected);
  });
}

test('port and container name clashes load with a warning at the second service', () => {
  write({
    'compose.yaml': [
      'services:',
      '  a: {image: x, ports: ["8080:80", "53:53/udp"], container_name: app}',
      '  b:',
      '    image: x',
      '    ports: ["127.0.0.1:8080:81", "53:53/tcp"]',
      '    container_name: app',
      '',
    ].join('\n'),
  });
  const { warnings } = load();
  const text = warnings.map((w) => `${w.line}:${w.path}: ${w.message}`);
  assert.equal(text, [
    '5:services.b.ports[0]: services "a" and "b" both publish tcp port 8080 on 127.0.0.1: up will refuse this',
    '6:services.b.container_name: services "a" and "b" both use container_name "app": up will refuse this',
  ]);
});

test('the shell environment wins over .env, and .env over defaults', () => {
  write({
    'compose.yaml': 'services:\n  web:\n    image: "${IMAGE:-busybox}:${TAG}"\n',
    '.env': 'TAG=from-dotenv\nIMAGE=dotenv-image\n',
  });
  assert.is(load().project.services.web!.image, 'dotenv-image:from-dotenv');
  assert.is(
    load({ environment: { TAG: 'shell' } }).project.services.web!.image,
    'dotenv-image:shell',
  );
});

test('an unset variable is warned about once, with where it was used', () => {
  write({
    'compose.yaml': 'services:\n  a:\n    image: "x:${TAG}"\n  b:\n    image: "y:${TAG}"\n',
  });
  const { warnings } = load();
  const unset = warnings.filter((w) => w.message.includes('"TAG"'));
  assert.is(unset.length, 1);
  assert.is(unset[0]!.line, 3);
  assert.is(unset[0]!.path, 'services.a.image');
});

test('extends from another file resolves the base paths against that file', () => {
  write({
    'common/base.yaml':
      'services:\n  base:\n    build: ./app\n    env_file: base.env\n    volumes: ["./data:/data"]\n',
    'common/base.env': 'FROM_BASE=1\n',
    'compose.yaml':
      'services:\n  web:\n    extends: {file: common/base.yaml, service: base}\n    environment: {OWN: "2"}\n',
  });
  const web = load().project.services.web!;
  assert.is(web.build?.context, path.join(dir, 'common/app'));
  assert.is(web.volumes?.[0]?.source, path.join(dir, 'common/data'));
  assert.equal(web.environment, { FROM_BASE: '1', OWN: '2' });
});

test('extends in a loop is refused with the loop named', () => {
  write({ 'compose.yaml': 'services:\n  a: {image: x, extends: b}\n  b: {extends: a}\n' });
  assert.match(failure().text, /circular reference in extends: a → b → a/);
});

test('include brings in a sub-project with its own .env and directory', () => {
  write({
    'db/compose.yaml':
      'services:\n  db:\n    image: "postgres:${PG_VERSION}"\n    volumes: ["./init:/docker-entrypoint-initdb.d"]\n',
    'db/.env': 'PG_VERSION=16\n',
    'compose.yaml':
      'include:\n  - db/compose.yaml\nservices:\n  web:\n    image: x\n    depends_on: [db]\n',
  });
  const { project, graph } = load();
  assert.is(project.services.db!.image, 'postgres:16');
  assert.is(project.services.db!.volumes?.[0]?.source, path.join(dir, 'db/init'));
  assert.equal(graph.levels, [['db'], ['web']]);
});

test('an include loop is refused', () => {
  write({
    'compose.yaml': 'include: [b.yaml]\nservices: {}\n',
    'b.yaml': 'include: [compose.yaml]\n',
  });
  assert.match(failure().text, /circular reference: compose\.yaml → b\.yaml → compose\.yaml/);
});

test('-f - reads the file from the text the CLI passes in', () => {
  const { project } = load({ files: ['-'], stdin: 'name: piped\nservices:\n  a: {image: x}\n' });
  assert.is(project.name, 'piped');
  assert.is(project.workingDir, dir);
});

test('a missing --env-file is an error; a missing .env is not', () => {
  write({ 'compose.yaml': 'services:\n  a: {image: x}\n' });
  load();
  assert.match(failure({ envFiles: ['nope.env'] }).text, /env file not found: .*nope\.env/);
});

test('unsupported keys are warned about by service and key', () => {
  write({ 'compose.yaml': 'services:\n  a:\n    image: x\n    runtime: nvidia\n' });
  const { warnings } = load();
  const found = warnings.find((w) => w.path === 'services.a.runtime');
  assert.ok(found, JSON.stringify(warnings));
  assert.match(found!.message, /^runtime is not supported by tscompose yet and is ignored \(/);
  assert.is(found!.line, 4);
});

test.run();
