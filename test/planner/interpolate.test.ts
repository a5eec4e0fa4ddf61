import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidError } from '../../src/errors.js';
import { interpolate, substitute } from '../../src/planner/interpolate.js';
import { OverrideTag, ResetTag } from '../../src/planner/tags.js';

const env: Record<string, string> = { FOO: 'first', EMPTY: '', NUM: '3' };
const lookup = (name: string) => env[name];
const PATH = ['services', 'web', 'image'];

function invalidErrorOf(run: () => unknown): InvalidError {
  try {
    run();
  } catch (err) {
    assert.instance(err, InvalidError);
    return err as InvalidError;
  }
  throw new Error('expected an InvalidError, but nothing was thrown');
}

const SUBSTITUTIONS: [template: string, value: string, unset?: string[]][] = [
  ['no variables', 'no variables'],
  ['$FOO', 'first'],
  ['${FOO}', 'first'],
  ['a $FOO b ${FOO}c', 'a first b firstc'],
  ['$FOO-bar', 'first-bar'],
  ['$FOO.bar', 'first.bar'],
  ['${MISSING}', '', ['MISSING']],
  ['$MISSING and ${MISSING} and $OTHER', ' and  and ', ['MISSING', 'OTHER']],
  ['${EMPTY}', ''],

  ['${MISSING:-def}', 'def'],
  ['${EMPTY:-def}', 'def'],
  ['${FOO:-def}', 'first'],
  ['${MISSING-def}', 'def'],
  ['${EMPTY-def}', ''],
  ['${FOO-def}', 'first'],
  ['${MISSING:-}', ''],
  ['${MISSING:-/non:-alphanumeric}', '/non:-alphanumeric'],
  ['${MISSING-myerror?msg}', 'myerror?msg'],

  ['${FOO:+alt}', 'alt'],
  ['${EMPTY:+alt}', ''],
  ['${MISSING:+alt}', ''],
  ['${FOO+alt}', 'alt'],
  ['${EMPTY+alt}', 'alt'],
  ['${MISSING+alt}', ''],

  ['${FOO:?err}', 'first'],
  ['${FOO?err}', 'first'],
  ['${EMPTY?err}', ''],
  ['${FOO?bar-baz}', 'first'],

  ['${MISSING:-${FOO}}', 'first'],
  ['${MISSING-$FOO}', 'first'],
  ['${MISSING:-${ALSO:-x}}', 'x'],
  ['${MISSING:-${FOO} ${FOO}}', 'first first'],
  ['${FOO:+[${NUM}]}', '[3]'],
  ['${MISSING:-${OTHER}}', '', ['OTHER']],
  ['${FOO:-${OTHER}}', 'first'],
  ['${FOO:-${OTHER:?not needed}}', 'first'],
  ['${MISSING:-a}b}', 'ab}'],
  ['${MISSING:-{x}}', '{x}'],

  ['$$', '$'],
  ['$$FOO', '$FOO'],
  ['$${FOO}', '${FOO}'],
  ['$$$FOO', '$first'],
  ['${MISSING:-$${B}}', '${B}'],

  ['cost: 5$', 'cost: 5$'],
  ['$1 $- $ FOO $}', '$1 $- $ FOO $}'],
];

for (const [template, value, unset = []] of SUBSTITUTIONS) {
  test(`substitutes ${JSON.stringify(template)}`, () => {
    assert.equal(substitute(template, lookup, PATH), { value, unset });
  });
}

const REQUIRED: [template: string, message: string][] = [
  ['${MISSING:?must be set}', 'required variable MISSING is missing a value: must be set'],
  ['${EMPTY:?must be set}', 'required variable EMPTY is missing a value: must be set'],
  ['${MISSING?must be set}', 'required variable MISSING is missing a value: must be set'],
  ['${MISSING:?}', 'required variable MISSING is missing a value'],
  ['${MISSING?}', 'required variable MISSING is missing a value'],
  ['${MISSING?bar-baz}', 'required variable MISSING is missing a value: bar-baz'],
  ['x ${MISSING:?need ${FOO}}', 'required variable MISSING is missing a value: need first'],
  ['${MISSING:-${OTHER:?nested}}', 'required variable OTHER is missing a value: nested'],
];

for (const [template, message] of REQUIRED) {
  test(`requires a value in ${JSON.stringify(template)}`, () => {
    const err = invalidErrorOf(() => substitute(template, lookup, PATH));
    const name = /variable (\w+)/.exec(message)?.[1] ?? '';
    assert.equal(
      { message: err.message, path: err.path, hint: err.hint },
      {
        message,
        path: 'services.web.image',
        hint: `set ${name} in the environment, in the project's .env file or in a file given with --env-file`,
      },
    );
  });
}

const INVALID = [
  '${',
  '${FOO',
  'a ${FOO b',
  '${}',
  '${ }',
  '${ FOO}',
  '${FOO }',
  '${FOO!}',
  '${FOO:x}',
  '${FOO:}',
  '${1A}',
  '${FOO:-bar',
  '${MISSING:-${FOO}',
  'x ${FOO:-${}} y',
];

for (const template of INVALID) {
  test(`refuses the syntax of ${JSON.stringify(template)}`, () => {
    const err = invalidErrorOf(() => substitute(template, lookup, PATH));
    assert.equal(
      { message: err.message, path: err.path, hint: err.hint },
      {
        message: `invalid interpolation format: ${JSON.stringify(template)}`,
        path: 'services.web.image',
        hint: 'you may need to escape any $ with another $',
      },
    );
  });
}

test('an invalid string outside a tree names no path', () => {
  const err = invalidErrorOf(() => substitute('${FOO', lookup));
  assert.is(err.message, 'invalid interpolation format: "${FOO"');
  assert.is(err.path, undefined);
});

test('interpolates string scalars only, never keys', () => {
  const tree = {
    services: {
      $FOO: { image: 'app:${NUM}', scale: 2, init: true, labels: null },
      web: { command: ['echo', '$FOO', 7] },
    },
  };
  assert.equal(interpolate(tree, { lookup }).value, {
    services: {
      $FOO: { image: 'app:3', scale: 2, init: true, labels: null },
      web: { command: ['echo', 'first', 7] },
    },
  });
});

test('copies the tree and leaves the input as it was', () => {
  const tree = { a: ['$FOO'], b: { c: '$FOO' } };
  const before = structuredClone(tree);
  const { value } = interpolate(tree, { lookup });
  assert.equal(tree, before);
  assert.is.not(value, tree);
});

test('keeps a __proto__ key as a plain key', () => {
  const tree = JSON.parse('{"__proto__": "$FOO"}') as unknown;
  const value = interpolate(tree, { lookup }).value as Record<string, unknown>;
  assert.equal(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, 'first');
  assert.is(Object.getPrototypeOf(value), Object.prototype);
});

test('walks into merge tags and keeps them', () => {
  const tree = { ports: new OverrideTag(['${NUM}:80']), build: new ResetTag({ context: '$FOO' }) };
  const value = interpolate(tree, { lookup }).value as Record<string, unknown>;

  assert.instance(value.ports, OverrideTag);
  assert.equal((value.ports as OverrideTag).value, ['3:80']);
  assert.instance(value.build, ResetTag);
  assert.equal((value.build as ResetTag).value, { context: 'first' });
  assert.equal((tree.ports as OverrideTag).value, ['${NUM}:80']);
});

test('records each unset variable with the first path that used it', () => {
  const tree = {
    services: {
      a: { image: '$X', environment: ['$X', 'B=${Y}'], ports: new OverrideTag(['$Z']) },
      b: { image: '${Y}${X}' },
    },
  };
  const { unset } = interpolate(tree, { lookup });
  assert.equal(
    [...unset],
    [
      ['X', ['services', 'a', 'image']],
      ['Y', ['services', 'a', 'environment', 1]],
      ['Z', ['services', 'a', 'ports', 0]],
    ],
  );
});

test('starts from the given path', () => {
  const { value, unset } = interpolate({ image: '$X' }, { lookup }, ['services', 'web']);
  assert.equal(value, { image: '' });
  assert.equal([...unset], [['X', ['services', 'web', 'image']]]);
});

test('an error inside a tree names the path of the string', () => {
  const tree = { services: { web: { ports: ['80', '${PORT:?pick a port}'] } } };
  const err = invalidErrorOf(() => interpolate(tree, { lookup }));
  assert.is(err.message, 'required variable PORT is missing a value: pick a port');
  assert.is(err.path, 'services.web.ports[1]');
});

test.run();
