import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import YAML, { type CollectionTag, type ScalarTag } from 'yaml';
import { InvalidError, formatError } from '../../src/errors.js';
import {
  SERVICE_KEY_STATUS,
  SUPPORTED_SERVICE_KEYS,
  UNSUPPORTED_NESTED_KEYS,
  UNSUPPORTED_SERVICE_KEYS,
} from '../../src/planner/keys.js';
import { OverrideTag, ResetTag } from '../../src/planner/tags.js';
import { castTypes, validateDocument } from '../../src/planner/validate.js';

const root = new URL('../../', import.meta.url);
const conformance = new URL('../shared/conformance/', root);

const tagsAs = (tag: string, wrap: (value: unknown) => unknown): (CollectionTag | ScalarTag)[] => [
  { tag, collection: 'map', resolve: (node) => wrap(node.toJSON()) },
  { tag, collection: 'seq', resolve: (node) => wrap(node.toJSON()) },
  { tag, resolve: (value) => wrap(value) },
];
const PARSE_OPTIONS = {
  merge: true,
  customTags: [
    ...tagsAs('!reset', (value) => new ResetTag(value)),
    ...tagsAs('!override', (value) => new OverrideTag(value)),
  ],
};

function parseDocuments(text: string): unknown[] {
  return YAML.parseAllDocuments(text, PARSE_OPTIONS).map((doc) => {
    if (doc instanceof YAML.Document && doc.errors.length === 0) return doc.toJS();
    throw new Error(`not YAML: ${text.slice(0, 80)}`);
  });
}

/** The error text the CLI would print for a document, or 'valid'. */
function check(text: string): string {
  try {
    for (const document of parseDocuments(text))
      validateDocument(castTypes(document), 'compose.yaml');
  } catch (error) {
    if (error instanceof InvalidError) return formatError(error);
    throw error;
  }
  return 'valid';
}

const MESSAGES: [name: string, yaml: string, printed: string][] = [
  [
    'a list where a string belongs',
    'services: {web: {image: [busybox, latest]}}',
    'compose.yaml: services.web.image: must be a string\n  hint: write a string, not a list',
  ],
  [
    'a number where a string belongs',
    'name: 123',
    'compose.yaml: name: must be a string\n  hint: quote the value to make it a string: "123"',
  ],
  [
    'a service written as a string',
    'services: {web: busybox}',
    'compose.yaml: services.web: must be a mapping\n  hint: write a mapping, not a string',
  ],
  [
    'the first form of a mapping-or-list, as Docker Compose words it',
    'services: {web: {image: x, environment: FOO=1}}',
    'compose.yaml: services.web.environment: must be a mapping\n' +
      '  hint: write a mapping or a list, not a string; for example: { KEY: value } or [ KEY=value ]',
  ],
  [
    'an environment value that is a list',
    'services: {web: {image: x, environment: {FOO: ["1"]}}}',
    'compose.yaml: services.web.environment.FOO: must be a boolean, null, number or string\n' +
      '  hint: write a string, a number, a boolean or null, not a list',
  ],
  [
    'a misspelt key',
    'services: {web: {image: x, portz: ["80"]}}',
    "compose.yaml: services.web: additional properties 'portz' not allowed\n" +
      "  hint: did you mean 'ports'?",
  ],
  [
    'two unknown keys in one mapping',
    'services: {web: {image: x, colour: red, size: big}}',
    "compose.yaml: services.web: additional properties 'colour', 'size' not allowed\n" +
      "  hint: remove them, or start their names with 'x-' to keep them as extensions",
  ],
  [
    'two misspelt keys',
    'services: {web: {imgae: x, portz: ["80"]}}',
    "compose.yaml: services.web: additional properties 'imgae', 'portz' not allowed\n" +
      "  hint: did you mean 'image' for 'imgae' and 'ports' for 'portz'?",
  ],
  [
    'an unknown key in the long form of a port',
    'services: {web: {image: x, ports: ["80", {target: 80, foo: 1}]}}',
    "compose.yaml: services.web.ports[1]: additional properties 'foo' not allowed\n" +
      "  hint: remove it, or name it 'x-foo' to keep it as an extension",
  ],
  [
    'a port that is neither a number, a string nor a mapping',
    'services: {web: {image: x, ports: ["80", true]}}',
    'compose.yaml: services.web.ports[1]: must be a number\n' +
      '  hint: write a number, a string or a mapping, not a boolean; ' +
      'for example: 8080:80 or { target: 80, published: "8080", protocol: tcp }',
  ],
  [
    'a watch rule without an action',
    'services: {web: {image: x, develop: {watch: [{path: ./src}]}}}',
    "compose.yaml: services.web.develop.watch[0]: missing property 'action'\n" +
      "  hint: 'action' is one of 'rebuild', 'sync', 'restart', 'sync+restart', 'sync+exec'; " +
      'for example: { path: ./src, action: sync, target: /app/src }',
  ],
  [
    'a misspelt watch action',
    'services: {web: {image: x, develop: {watch: [{path: ./src, action: synk}]}}}',
    'compose.yaml: services.web.develop.watch[0].action: ' +
      "must be one of 'rebuild', 'sync', 'restart', 'sync+restart', 'sync+exec'\n" +
      "  hint: did you mean 'sync'?",
  ],
  [
    'a count that is not a number',
    'services: {web: {image: x, scale: lots}}',
    'compose.yaml: services.web.scale: must be an integer\n  hint: got "lots"; for example: 3',
  ],
  [
    'a flag that is not a boolean',
    'services: {web: {image: x, init: maybe}}',
    'compose.yaml: services.web.init: must be a boolean\n  hint: got "maybe"; for example: true or false',
  ],
  [
    'a value below the minimum',
    'services: {web: {image: x, volumes: [{type: tmpfs, target: /t, tmpfs: {size: -1}}]}}',
    'compose.yaml: services.web.volumes[0].tmpfs.size: must be greater than or equal to 0\n' +
      '  hint: got -1',
  ],
  [
    'a value above the maximum',
    'services: {web: {image: x, cpu_percent: 150}}',
    'compose.yaml: services.web.cpu_percent: must be less than or equal to 100\n' +
      '  hint: got 150; accepted values go from 0 to 100',
  ],
  [
    'a fraction where an integer belongs',
    'services: {web: {image: x, volumes: [{type: tmpfs, target: /t, tmpfs: {size: 0.5}}]}}',
    'compose.yaml: services.web.volumes[0].tmpfs.size: must be an integer\n' +
      '  hint: write an integer or a string, not 0.5; for example: 67108864 or 64m',
  ],
  [
    'a limit missing half',
    'services: {web: {image: x, ulimits: {nofile: {soft: 1024}}}}',
    "compose.yaml: services.web.ulimits.nofile: missing property 'hard'\n  hint: add 'hard'",
  ],
  [
    'a repeated capability',
    'services: {web: {image: x, cap_add: [NET_ADMIN, NET_ADMIN]}}',
    'compose.yaml: services.web.cap_add: must not contain duplicates: items [0] and [1] are the same\n' +
      '  hint: remove [1]',
  ],
  [
    'a pull policy Docker Compose does not know',
    'services: {web: {image: x, pull_policy: sometimes}}',
    'compose.yaml: services.web.pull_policy: must be a pull policy: always, never, missing, build, ' +
      'if_not_present, refresh, daily, weekly or every_<duration>\n' +
      '  hint: got "sometimes"; for example: missing or every_12h',
  ],
  [
    'a service name with a space',
    'services: {"my app": {image: x}}',
    "compose.yaml: services: additional properties 'my app' not allowed\n" +
      "  hint: names may only contain letters, digits, '.', '_' and '-'",
  ],
  [
    'a dotted service name, quoted in the path',
    'services: {"api.v2": {image: 2}}',
    'compose.yaml: services["api.v2"].image: must be a string\n' +
      '  hint: quote the value to make it a string: "2"',
  ],
  [
    'a version 1 file',
    'web: {image: busybox}',
    "compose.yaml: additional properties 'web' not allowed\n" +
      "  hint: services go under the top-level 'services' key (version 1 files are not supported)",
  ],
  [
    'a document that is not a mapping',
    '- web',
    'compose.yaml: must be a mapping\n  hint: write a mapping, not a list',
  ],
];

for (const [name, yaml, printed] of MESSAGES) {
  test(`reports ${name}`, () => {
    assert.is(check(yaml), printed);
  });
}

test('accepts interpolated strings where Docker Compose casts them', () => {
  const yaml = `
services:
  web:
    image: x
    scale: "3"
    init: "yes"
    cpus: "0.5"
    ports: [{ target: "80", published: "8080" }]
    ulimits: { nofile: "1024", nproc: { soft: "1", hard: "2" } }
networks:
  front: { external: "TRUE" }
`;
  assert.is(check(yaml), 'valid');
});

test('accepts a service left empty, as Docker Compose does', () => {
  assert.is(check('services: {web: null}'), 'valid');
});

test('validates with tags stripped', () => {
  const tree = {
    services: {
      web: { image: 'x', ports: new ResetTag(['80']), command: new OverrideTag(['a', 'b']) },
    },
  };
  validateDocument(tree, 'compose.yaml');
  const broken = { services: { web: { image: new OverrideTag(['x']) } } };
  assert.throws(() => validateDocument(broken, 'compose.yaml'), /must be a string/);
});

test('the error carries the file, the path and the hint', () => {
  let caught: unknown;
  try {
    validateDocument({ services: { web: { image: 'x', portz: [] } } }, '/srv/compose.yaml');
  } catch (error) {
    caught = error;
  }
  assert.instance(caught, InvalidError);
  const error = caught as InvalidError;
  assert.equal(
    { kind: error.kind, file: error.file, path: error.path, hint: error.hint },
    {
      kind: 'invalid',
      file: '/srv/compose.yaml',
      path: 'services.web',
      hint: "did you mean 'ports'?",
    },
  );
});

test('castTypes converts strings only where the schema expects a number or a boolean', () => {
  const input = {
    services: {
      web: {
        scale: '3',
        init: 'YES',
        tty: 'off',
        read_only: 'n',
        cpus: '1.5',
        mem_limit: '512',
        ports: [{ target: '80', published: '8080' }, '9000:9000'],
        ulimits: { nofile: '1024', nproc: { soft: '1', hard: '2' } },
        environment: { DEBUG: 'true', PORT: '80' },
        deploy: { replicas: '2', resources: { limits: { cpus: '0.5', memory: '1g' } } },
        healthcheck: { retries: '3', disable: 'False' },
        secrets: [{ source: 's', mode: '0440' }],
        'x-meta': { scale: '3' },
        pids_limit: 'lots',
      },
      'x-job': { scale: '1' },
    },
    networks: { front: { external: 'true' } },
  };
  const expected = {
    services: {
      web: {
        scale: 3,
        init: true,
        tty: false,
        read_only: false,
        cpus: 1.5,
        mem_limit: '512',
        ports: [{ target: 80, published: '8080' }, '9000:9000'],
        ulimits: { nofile: 1024, nproc: { soft: 1, hard: 2 } },
        environment: { DEBUG: 'true', PORT: '80' },
        deploy: { replicas: 2, resources: { limits: { cpus: 0.5, memory: '1g' } } },
        healthcheck: { retries: 3, disable: false },
        secrets: [{ source: 's', mode: '0440' }],
        'x-meta': { scale: '3' },
        pids_limit: 'lots',
      },
      'x-job': { scale: 1 },
    },
    networks: { front: { external: true } },
  };
  const before = structuredClone(input);

  assert.equal(castTypes(input), expected);
  assert.equal(input, before, 'the input is left as it was');
});

test('castTypes keeps !reset and !override and casts inside them', () => {
  const cast = castTypes({
    services: {
      web: { ports: new OverrideTag([{ target: '80' }]), scale: new ResetTag('2') },
    },
  }) as { services: { web: { ports: unknown; scale: unknown } } };

  assert.instance(cast.services.web.ports, OverrideTag);
  assert.equal((cast.services.web.ports as OverrideTag).value, [{ target: 80 }]);
  assert.instance(cast.services.web.scale, ResetTag);
  assert.is((cast.services.web.scale as ResetTag).value, 2);
});

// The list of keys must stay true: every service key the schema accepts has a status.

const schema = JSON.parse(readFileSync(new URL('schema/compose.schema.json', root), 'utf8'));
const serviceKeys = Object.keys(schema.definitions.service.properties).sort();
const buildKeys = Object.keys(schema.definitions.build.oneOf[1].properties).map(
  (k) => `build.${k}`,
);
const deployKeys = Object.keys(schema.definitions.deploy.properties).map((k) => `deploy.${k}`);

test('every service key of the schema is either supported or unsupported, never both', () => {
  const listed = [...SUPPORTED_SERVICE_KEYS, ...UNSUPPORTED_SERVICE_KEYS.keys()].sort();
  assert.equal(listed, serviceKeys);
});

test('every key below build and deploy has a status', () => {
  const nested = [...SERVICE_KEY_STATUS.keys()].filter((key) => key.includes('.')).sort();
  assert.equal(nested, [...buildKeys, ...deployKeys].sort());
  const unsupported = nested.filter((key) => SERVICE_KEY_STATUS.get(key) !== 'supported');
  assert.equal([...UNSUPPORTED_NESTED_KEYS.keys()].sort(), unsupported);
});

test('docs/compose-keys.md shows the same statuses as src/planner/keys.ts', () => {
  const docs = readFileSync(new URL('docs/compose-keys.md', root), 'utf8');
  const section = docs.split('## Service keys')[1]?.split('\n## ')[0] ?? '';
  const rows = [...section.matchAll(/^\| `([^`]+)` +\| (\w+) +\|/gm)]
    .map(([, key, status]) => [key ?? '', status ?? ''] as const)
    .filter(([key]) => key !== 'x-*');
  assert.equal(new Map(rows), new Map([...SERVICE_KEY_STATUS].sort()));
});

// Conformance: compose-go's own loader cases, and every document of the specification.

interface InlineCase {
  file: string;
  expect: 'ok' | 'error';
  error_contains?: string;
}

const inline = new URL('compose-go-inline/', conformance);
const cases: InlineCase[] = JSON.parse(readFileSync(new URL('index.json', inline), 'utf8')).cases;
const caseName = (file: string) => file.split('/').at(-1) ?? file;

/** Refused by compose-go, but by a later step than the schema; the reason says which. */
const REFUSED_AFTER_THE_SCHEMA = new Map([
  ['loader.TestNonStringKeys.1.yaml', 'the YAML step refuses the non-string key 123'],
  ['loader.TestNonStringKeys.3.yaml', 'the YAML step refuses the non-string key 1'],
  ['loader.TestInvalidExternalAndDriverCombination.0.yaml', 'external with driver: semantics'],
  [
    'loader.TestInvalidExternalAndDirverOptsCombination.0.yaml',
    'external with driver_opts: semantics',
  ],
  ['loader.TestInvalidExternalAndLabelsCombination.0.yaml', 'external with labels: semantics'],
  ['loader.TestLoadVolumeInvalidExternalNameAndNameCombination.0.yaml', 'two names: semantics'],
  ['loader.TestLoadSecretInvalidExternalNameAndNameCombination.0.yaml', 'two names: semantics'],
  ['loader.TestLoadNetworkInvalidExternalNameAndNameCombination.0.yaml', 'two names: semantics'],
  ['loader.TestLoadBindMountSourceMustNotBeEmpty.0.yaml', 'a bind mount needs a source: semantics'],
  [
    'loader.TestServiceDeviceRequestCountAndDeviceIdsExclusive.0.yaml',
    'count or device_ids: semantics',
  ],
]);

/** Refused by the schema, at this path (in tscompose's words; '' is the top level). */
const REFUSED_BY_THE_SCHEMA = new Map([
  ['loader.TestNonStringKeys.0.yaml', ''],
  ['loader.TestNonStringKeys.2.yaml', 'networks.default.ipam.config[0]'],
  ['loader.TestV1Unsupported.0.yaml', ''],
  ['loader.TestNonMappingObject.0.yaml', 'services'],
  ['loader.TestNonMappingObject.1.yaml', 'services.foo'],
  ['loader.TestNonMappingObject.2.yaml', 'networks'],
  ['loader.TestNonMappingObject.3.yaml', 'networks.default'],
  ['loader.TestNonMappingObject.4.yaml', 'volumes'],
  ['loader.TestNonMappingObject.5.yaml', 'volumes.data'],
  ['loader.TestNonStringImage.0.yaml', 'services.foo.image'],
  ['loader.TestInvalidEnvironmentValue.0.yaml', 'services.dict-env.environment.FOO'],
  ['loader.TestInvalidEnvironmentObject.0.yaml', 'services.dict-env.environment'],
  ['loader.TestInvalidResource.0.yaml', 'services.foo.deploy.resources'],
  ['loader.TestLoadTmpfsVolumeAdditionalPropertyNotAllowed.0.yaml', 'services.tmpfs.volumes[0]'],
  ['loader.TestLoadTmpfsVolumeSizeMustBeGTEQZero.0.yaml', 'services.tmpfs.volumes[0].tmpfs.size'],
  ['loader.TestLoadTmpfsVolumeSizeMustBeInteger.0.yaml', 'services.tmpfs.volumes[0].tmpfs.size'],
  [
    'loader.TestServiceDeviceRequestCountInvalidStringType.0.yaml',
    'services.hello-world.deploy.resources.reservations.devices[0].count',
  ],
  [
    'loader.TestServiceDeviceRequestCapabilitiesMandatory.0.yaml',
    'services.hello-world.deploy.resources.reservations.devices[0]',
  ],
  ['loader.TestLoadSSHWithoutValueInBuildConfig.0.yaml', 'services.test.build.ssh'],
  ['loader.TestInvalidProjectNameType.0.yaml', 'name'],
]);

/** Refused by the schema in other words than compose-go's, and why. */
const WORDED_DIFFERENTLY = new Map([
  ['loader.TestNonStringKeys.0.yaml', 'the YAML parser leaves the key 123 a string'],
  ['loader.TestNonStringKeys.2.yaml', 'the YAML parser leaves the key 123 a string'],
  ['loader.TestLoadTmpfsVolumeSizeMustBeInteger.0.yaml', '"an integer", not "a integer"'],
  ['loader.TestServiceDeviceRequestCountInvalidStringType.0.yaml', 'compose-go checks it later'],
]);

test('every error case of compose-go is classified', () => {
  const errors = cases.filter((c) => c.expect === 'error').map((c) => caseName(c.file));
  const classified = [...REFUSED_AFTER_THE_SCHEMA.keys(), ...REFUSED_BY_THE_SCHEMA.keys()];
  assert.equal(errors.sort(), classified.sort());
});

/** `services.web.ports[1]: must be …` as compose-go words it: `services.web.ports.1 must be …`. */
function inComposeGoWords(printed: string): string {
  const [, where = '', ...rest] = (printed.split('\n')[0] ?? '').split(': ');
  if (rest.length === 0) return where;
  return `${where.replace(/\[(\d+)\]/g, '.$1')} ${rest.join(': ')}`;
}

// Every `ok` case validates as written: none needs interpolation first, because a string
// holding `${` is accepted wherever a number or a boolean is (for editors, before
// interpolation), so no case is skipped.
for (const { file, expect, error_contains: composeGoWords } of cases) {
  const name = caseName(file);
  const text = readFileSync(new URL(file, inline), 'utf8');
  const path = REFUSED_BY_THE_SCHEMA.get(name);

  test(`compose-go ${name}`, () => {
    const printed = check(text);
    if (expect === 'ok' || REFUSED_AFTER_THE_SCHEMA.has(name)) {
      assert.is(printed, 'valid');
      return;
    }
    const where = path ? `compose.yaml: ${path}: ` : 'compose.yaml: ';
    assert.ok(
      printed.startsWith(where),
      `expected the error at ${path || 'the top level'}: ${printed}`,
    );
    if (composeGoWords && !WORDED_DIFFERENTLY.has(name)) {
      // compose-go's expected text is a substring: sometimes with the path, sometimes not.
      const words = inComposeGoWords(printed);
      const same = composeGoWords.includes(words) || words.includes(composeGoWords);
      assert.ok(same, `${printed} vs ${composeGoWords}`);
    }
  });
}

const spec = new URL('compose-spec-md/', conformance);
const blocks: { file: string; kind: string }[] = JSON.parse(
  readFileSync(new URL('index.json', spec), 'utf8'),
).blocks;

/** Blocks of the specification that are whole documents in form but not compose files. */
const NOT_COMPOSE_FILES = new Map([
  ['05-services/039.yaml', 'a service body shown without its services.<name> parents'],
  ['13-merge/', 'merge illustrations: placeholder keys (key1, DNS), two mis-indented bases'],
  ['build/003.yaml', 'it repeats the key base, which YAML refuses'],
]);

test('every compose document of the specification validates', () => {
  const documents = blocks
    .filter((block) => block.kind === 'document')
    .filter((block) => ![...NOT_COMPOSE_FILES.keys()].some((skip) => block.file.startsWith(skip)))
    .map((block) => new URL(block.file, spec));
  const fullExample = new URL('compose-go-full-example/full-example.yml', conformance);

  for (const url of [...documents, fullExample]) {
    assert.is(check(readFileSync(url, 'utf8')), 'valid', url.pathname);
  }
});

test.run();
