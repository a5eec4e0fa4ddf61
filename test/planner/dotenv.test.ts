import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidError } from '../../src/errors.js';
import { parseDotenv } from '../../src/planner/dotenv.js';

const CONFORMANCE = new URL('../../../shared/conformance/', import.meta.url);

interface ConformanceCase {
  test: string;
  fixture: string;
  os_env?: Record<string, string>;
  lookup_os_env?: boolean;
  expected?: Record<string, string>;
  expect?: 'ok' | 'error';
  error_contains?: string;
}

// Read on purpose at load time: a missing file fails the suite instead of running no case.
const conformance = JSON.parse(
  readFileSync(new URL('compose-go-dotenv/cases.json', CONFORMANCE), 'utf8'),
) as { cases: ConformanceCase[] };

// Upstream, these call Read or ReadWithLookup and compare whole maps; the other cases
// call Load, which checks only the listed keys.
const READ_CASES = new Set([
  'TestReadPlainEnv',
  'TestInheritedEnvVariableSameSize',
  'TestInheritedEnvVariableNotFound',
]);

function readFixture(kase: ConformanceCase): () => Record<string, string> {
  const text = readFileSync(new URL(kase.fixture, CONFORMANCE), 'utf8');
  const env = kase.os_env ?? {};
  const lookup = kase.lookup_os_env ? (name: string) => env[name] : undefined;
  return () => parseDotenv(text, { file: kase.fixture, lookup });
}

/**
 * compose-go's Read drops names that start with a digit; Compose itself reads files with
 * ParseWithLookup, which keeps them, and so does parseDotenv.
 */
function asRead(vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(vars).filter(([name]) => !/^\d/.test(name)));
}

function invalidErrorOf(run: () => unknown): InvalidError {
  try {
    run();
  } catch (err) {
    assert.instance(err, InvalidError);
    return err as InvalidError;
  }
  throw new Error('expected an InvalidError, but nothing was thrown');
}

test('the conformance data is there', () => {
  assert.is(conformance.cases.length, 15);
});

for (const kase of conformance.cases) {
  test(`compose-go ${kase.test}`, () => {
    const read = readFixture(kase);

    if (kase.expect === 'error') {
      const [, line, text] = /^line (\d+): (.*)$/.exec(kase.error_contains ?? '') ?? [];
      const err = invalidErrorOf(read);
      assert.is(err.file, kase.fixture);
      assert.is(err.line, Number(line));
      assert.ok(err.message.includes(text ?? '<unparsed error_contains>'), err.message);
      assert.ok(err.hint);
      return;
    }

    const vars = read();
    const expected = kase.expected ?? {};
    if (READ_CASES.has(kase.test)) {
      assert.equal(asRead(vars), expected);
    } else {
      for (const [name, value] of Object.entries(expected)) assert.is(vars[name], value, name);
    }
  });
}

test('digit-led names are kept, as Compose keeps them', () => {
  assert.equal(parseDotenv('456 = ABC\n', { file: '.env' }), { '456': 'ABC' });
});

const PARSING: [title: string, text: string, expected: Record<string, string>][] = [
  ['unquoted value', 'FOO=bar', { FOO: 'bar' }],
  ['spaces around =', 'FOO = bar ', { FOO: 'bar' }],
  ['several = in the value', 'FOO=foobar=', { FOO: 'foobar=' }],
  ['colon in the value', 'OPTION_A=1:B', { OPTION_A: '1:B' }],
  ['yaml-style separator', 'OPTION_A: Foo=bar', { OPTION_A: 'Foo=bar' }],
  ['leading whitespace', ' \tKEY =value', { KEY: 'value' }],
  ['dots, dashes, brackets', 'A.B-c[0]=x', { 'A.B-c[0]': 'x' }],
  ['empty value', 'A=\nB=', { A: '', B: '' }],
  ['export', 'export OPTION_A=2', { OPTION_A: '2' }],
  ['export with a tab', 'export\tOPTION_A=2', { OPTION_A: '2' }],
  [
    'export as a prefix of the name',
    'exportFOO=2\nexport_BAR=3',
    { exportFOO: '2', export_BAR: '3' },
  ],
  ['export inside a quoted value', 'export A="export A"', { A: 'export A' }],
  ['full-line comments', '# one\n  # two\nA=1 # three', { A: '1' }],
  [
    'inline comment needs a space',
    'A=bar #c\nB=123#not-a-comment',
    { A: 'bar', B: '123#not-a-comment' },
  ],
  ['# right after = is a value', 'A= # not a comment', { A: '# not a comment' }],
  ['# inside quotes', `A="bar#baz" # c\nB='ba#r'`, { A: 'bar#baz', B: 'ba#r' }],
  ['single quotes are literal', "A='a\\nb $HOME ${X}'", { A: 'a\\nb $HOME ${X}' }],
  ['escaped single quote', String.raw`A='Let\'s go'`, { A: "Let's go" }],
  ['double-quote escapes', String.raw`A="a\nb\tc\"d\\e"`, { A: 'a\nb\tc"d\\e' }],
  ['XSI escapes', String.raw`K="Z\aZ\bZ\fZ\rZ\vZ\0123Z"`, { K: 'Z\x07Z\bZ\fZ\rZ\vZSZ' }],
  [
    'unknown escapes stay',
    String.raw`K="\x07 \u12e4 \q \c \0 \01 \0777"`,
    { K: String.raw`\x07 \u12e4 \q \c \0 \01 \0777` },
  ],
  ['backslash space stays', String.raw`FOO="bar\n\ b\az"`, { FOO: 'bar\n\\ b\x07z' }],
  ['multi-line double quotes', 'A="one\ntwo"\nB=3', { A: 'one\ntwo', B: '3' }],
  ['single quotes inside double', `FOO="'d'"`, { FOO: "'d'" }],
  ['CRLF line endings', 'A=1\r\nB = 2 \r\nC="3"\r\n\r\n# c\r\nD\r\n', { A: '1', B: '2', C: '3' }],
  ['CR kept inside a multi-line quoted value', 'A="x\r\ny"\r\n', { A: 'x\r\ny' }],
  ['byte order mark', '\uFEFFA=1\nB=2', { A: '1', B: '2' }],
  ['later keys win', 'A=1\nA=2', { A: '2' }],
  ['$VAR and ${VAR} from earlier keys', 'A=x\nB=$A-${A}', { A: 'x', B: 'x-x' }],
  ['expansion in double quotes', 'A=x\nB="[$A]"', { A: 'x', B: '[x]' }],
  ['no expansion in single quotes', "A=x\nB='$A'", { A: 'x', B: '$A' }],
  ['unset expands to empty', 'B=${NOPE}', { B: '' }],
  ['defaults', 'A=${NOPE:-d}\nB=${NOPE-e}', { A: 'd', B: 'e' }],
  ['$$ is a literal $', 'A=$$HOME', { A: '$HOME' }],
  ['escaped $ in double quotes', 'A=x\nB="\\$A \\${A} ${A}"', { A: 'x', B: '$A ${A} x' }],
];

for (const [title, text, expected] of PARSING) {
  test(`parses: ${title}`, () => {
    assert.equal(parseDotenv(text, { file: '.env' }), expected);
  });
}

const env: Record<string, string> = { HOME: '/home/me', EMPTY: '', LAST_LINE_HOME: 'yes' };
const lookup = (name: string) => env[name];

test('a bare name takes its value from the lookup, or is left out', () => {
  const text = 'HOME\nEMPTY\nNOPE\nLAST_LINE_HOME';
  assert.equal(parseDotenv(text, { file: '.env', lookup }), {
    HOME: '/home/me',
    EMPTY: '',
    LAST_LINE_HOME: 'yes',
  });
  assert.equal(parseDotenv('NOPE\n', { file: '.env' }), {});
});

test('the lookup wins over earlier keys when expanding, not over the key itself', () => {
  const text = 'HOME=/file\nA=$HOME\nB=${HOME:-x}';
  assert.equal(parseDotenv(text, { file: '.env', lookup }), {
    HOME: '/file',
    A: '/home/me',
    B: '/home/me',
  });
});

const ERRORS: [text: string, line: number, message: string, hint: string][] = [
  [
    '# c\nA=1\nINVALID LINE\n',
    3,
    'key cannot contain a space: "INVALID LINE"',
    'each line is NAME=value, export NAME=value, or a bare NAME taken from the environment',
  ],
  [
    'A=1\nMY KEY=2',
    2,
    'key cannot contain a space: "MY KEY"',
    'each line is NAME=value, export NAME=value, or a bare NAME taken from the environment',
  ],
  [
    'lol$wut',
    1,
    'unexpected character "$" in variable name "lol$wut"',
    'a variable name may hold letters, digits, _ . - [ and ]; write it as NAME=value',
  ],
  [
    'A=1\n\nexport B@=2\nC=3',
    3,
    'unexpected character "@" in variable name "B@=2"',
    'a variable name may hold letters, digits, _ . - [ and ]; write it as NAME=value',
  ],
  ['A=1\n="value"', 2, 'missing variable name before "="', 'write it as NAME=value'],
  [
    'A=1\nB="value\nC=3\n',
    2,
    'unterminated quoted value: "value',
    'close the value with "; a " that belongs to the value is written \\"',
  ],
  [
    String.raw`B='value\'`,
    1,
    String.raw`unterminated quoted value: 'value\'`,
    String.raw`close the value with '; a ' that belongs to the value is written \'`,
  ],
  [
    'A=1\nB=${NOPE:?set it}',
    2,
    'required variable NOPE is missing a value: set it',
    "set NOPE in the environment, in the project's .env file or in a file given with --env-file",
  ],
  [
    'A=1\nB="${A"',
    2,
    'invalid interpolation format: "${A"',
    'you may need to escape any $ with another $',
  ],
];

for (const [text, line, message, hint] of ERRORS) {
  test(`refuses ${JSON.stringify(text)}`, () => {
    const err = invalidErrorOf(() => parseDotenv(text, { file: 'app.env' }));
    assert.equal(
      { file: err.file, line: err.line, message: err.message, hint: err.hint },
      { file: 'app.env', line, message, hint },
    );
  });
}

test.run();
