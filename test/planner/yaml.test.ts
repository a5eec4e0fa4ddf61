import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidError } from '../../src/errors.js';
import { OverrideTag, ResetTag } from '../../src/planner/tags.js';
import { parseYaml } from '../../src/planner/yaml.js';

function parseError(text: string): InvalidError {
  try {
    parseYaml(text, 'compose.yaml');
  } catch (error) {
    assert.instance(error, InvalidError);
    return error as InvalidError;
  }
  throw new Error('expected the parse to fail');
}

test('a leading 0 is octal, as Docker Compose reads it (mode: 0440); quoted text stays text', () => {
  const [doc] = parseYaml(
    'a: 0440\nb: "0440"\nc: 0o440\nd: 440\ne: 0\nf: 09\n',
    'x.yaml',
  ).documents;
  assert.equal(doc, { a: 0o440, b: '0440', c: 0o440, d: 440, e: 0, f: 9 });
});

test('keeps the position of every key, in the user words', () => {
  const { documents, positions } = parseYaml(
    'services:\n  web:\n    image: nginx\n    ports:\n      - "80:80"\n      - 443\n',
    'compose.yaml',
  );
  assert.equal(documents, [{ services: { web: { image: 'nginx', ports: ['80:80', 443] } } }]);
  assert.equal(positions.get('services.web.image'), { line: 3, column: 5 });
  assert.equal(positions.get('services.web.ports[1]'), { line: 6, column: 9 });
});

test('resolves anchors, aliases and merge keys; explicit keys win', () => {
  const { documents } = parseYaml(
    [
      'x-base: &base {image: busybox, restart: always}',
      'x-env: &env {environment: {A: "1"}}',
      'services:',
      '  a:',
      '    <<: [*base, *env]',
      '    restart: "no"',
      '  b: *base',
    ].join('\n'),
    'compose.yaml',
  );
  const services = (documents[0] as { services: Record<string, unknown> }).services;
  assert.equal(services.a, { image: 'busybox', restart: 'no', environment: { A: '1' } });
  assert.equal(services.b, { image: 'busybox', restart: 'always' });
});

test('an alias yields a copy: changing one use cannot change another', () => {
  const { documents } = parseYaml('x: &a {k: [1]}\ny: *a\n', 'compose.yaml');
  const doc = documents[0] as { x: { k: number[] }; y: { k: number[] } };
  assert.is.not(doc.x.k, doc.y.k);
});

test('wraps !reset and !override values in tags', () => {
  const { documents } = parseYaml('a: !reset []\nb: !override {x: 1}\n', 'compose.yaml');
  const doc = documents[0] as Record<string, unknown>;
  assert.instance(doc.a, ResetTag);
  assert.instance(doc.b, OverrideTag);
  assert.equal((doc.b as OverrideTag).value, { x: 1 });
});

test('a tagged plain scalar keeps its YAML type; a quoted one stays a string', () => {
  const { documents } = parseYaml(
    'a: !override 8080\nb: !override "8080"\nc: !reset null\n',
    'c.yaml',
  );
  const doc = documents[0] as Record<string, OverrideTag | ResetTag>;
  assert.is(doc.a!.value, 8080);
  assert.is(doc.b!.value, '8080');
  assert.is(doc.c!.value, null);
});

test('each document of a multi-document file is returned', () => {
  const { documents } = parseYaml('a: 1\n---\na: 2\n', 'compose.yaml');
  assert.equal(documents, [{ a: 1 }, { a: 2 }]);
});

const errors: [string, string, string, number][] = [
  [
    'services:\n  web:\n    image: a\n    image: b\n',
    'mapping key "image" already defined at line 3',
    'services.web.image',
    4,
  ],
  ['123: x\n', 'non-string key at top level: 123', '', 1],
  [
    'services:\n  web:\n    environment:\n      1: x\n',
    'non-string key in services.web.environment: 1',
    'services.web.environment',
    4,
  ],
  [
    'x: &s scalar\ny:\n  <<: *s\n',
    'map merge requires map or sequence of maps as the value',
    'y',
    3,
  ],
  [
    'x: &h\n  y:\n    <<: *h\n',
    'cycle detected: node at path x.y references node at path x',
    'x.y',
    3,
  ],
  ['services: *nowhere\n', 'unknown anchor "nowhere"', 'services', 1],
];

for (const [text, message, path, line] of errors) {
  test(`refuses: ${message}`, () => {
    const error = parseError(text);
    assert.is(error.message, message);
    assert.is(error.path ?? '', path);
    assert.is(error.line, line);
    assert.is(error.file, 'compose.yaml');
    assert.ok(error.hint, 'every error carries a hint');
  });
}

test('a syntax error names the line and column', () => {
  const error = parseError('services:\n  web:\n    image: [unclosed\n');
  assert.is(error.file, 'compose.yaml');
  assert.ok(error.line !== undefined && error.line >= 3, `line ${error.line}`);
  assert.not.match(error.message, /\n/);
});

test('refuses an alias bomb quickly instead of expanding it', () => {
  const levels = ['x-a: &a {k: v}'];
  for (let i = 1; i < 12; i += 1) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    levels.push(`x-${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
  }
  const error = parseError(levels.join('\n'));
  assert.match(error.message, /excessive aliasing/);
  assert.ok(error.line, 'points at where the expansion happens');
});

test('ordinary reuse through anchors is not mistaken for a bomb', () => {
  const lines = [
    'x-defaults: &defaults {image: busybox, restart: always, environment: {A: "1", B: "2"}}',
    'services:',
  ];
  for (let i = 0; i < 500; i += 1) lines.push(`  s${i}: {<<: *defaults, command: ["run", "${i}"]}`);
  const { documents } = parseYaml(lines.join('\n'), 'compose.yaml');
  const services = (documents[0] as { services: Record<string, unknown> }).services;
  assert.is(Object.keys(services).length, 500);
});

test.run();
