import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatError, InvalidError } from '../../src/errors.js';
import { Scope } from '../../src/planner/normalize/scope.js';
import {
  byteSize,
  duration,
  fileMode,
  formatDuration,
  parseByteSizeText,
  parseDurationText,
} from '../../src/planner/normalize/units.js';

const scope = () =>
  new Scope(
    {
      projectName: 'demo',
      workingDir: '/srv/demo',
      environment: {},
      loadEnvFile: () => undefined,
      homeDir: '/home/dev',
    },
    ['services', 'web', 'healthcheck', 'interval'],
  );

function errorOf(run: () => unknown): string {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.instance(caught, InvalidError);
  return formatError(caught as InvalidError);
}

const DURATIONS: [string, number][] = [
  ['1m30s', 90_000],
  ['10s', 10_000],
  ['500ms', 500],
  ['1h', 3_600_000],
  ['1h30m', 5_400_000],
  ['1.5s', 1_500],
  ['250us', 0.25],
  ['2d', 172_800_000],
  ['1w', 604_800_000],
  ['0', 0],
];

for (const [text, ms] of DURATIONS) {
  test(`duration ${text} is ${ms} ms`, () => {
    assert.is(parseDurationText(text), ms);
    assert.is(duration(text, scope()), ms);
  });
}

test('a duration without a unit is read as seconds, with a warning', () => {
  const at = scope();
  assert.is(duration(30, at), 30_000);
  assert.equal(at.collectedWarnings(), [
    {
      message: 'duration 30 has no unit and is read as 30s; write "30s"',
      path: 'services.web.healthcheck.interval',
    },
  ]);
});

test('a bad duration names the field and shows the forms', () => {
  assert.is(
    errorOf(() => duration('10 seconds', scope())),
    'services.web.healthcheck.interval: invalid duration "10 seconds"\n' +
      '  hint: write a number with a unit, such as 500ms, 10s, 1m30s or 1h',
  );
  assert.is(parseDurationText('1x'), undefined);
  assert.is(parseDurationText(''), undefined);
});

const PRINTED: [number, string][] = [
  [90_000, '1m30s'],
  [10_000, '10s'],
  [500, '500ms'],
  [3_600_000, '1h0m0s'],
  [120_000, '2m0s'],
  [1_500, '1.5s'],
  [0.25, '250µs'],
  [0, '0s'],
  [5_445_500, '1h30m45.5s'],
];

for (const [ms, text] of PRINTED) {
  test(`${ms} ms prints as ${text}, as Go does`, () => {
    assert.is(formatDuration(ms), text);
  });
}

const SIZES: [string | number, number][] = [
  ['512m', 536_870_912],
  ['1g', 1_073_741_824],
  ['1024k', 1_048_576],
  ['100b', 100],
  ['1.5g', 1_610_612_736],
  ['64MB', 67_108_864],
  ['2KiB', 2_048],
  ['512 m', 536_870_912],
  ['20971520', 20_971_520],
  [1_000, 1_000],
  [-1, -1],
];

for (const [input, bytes] of SIZES) {
  test(`byte size ${JSON.stringify(input)} is ${bytes} bytes`, () => {
    assert.is(byteSize(input, scope()), bytes);
  });
}

test('a bad byte size names the field and shows the units', () => {
  assert.is(
    errorOf(() => byteSize('12q', scope())),
    'services.web.healthcheck.interval: invalid byte size "12q"\n' +
      '  hint: write a whole number of bytes or a number with a unit b, k, m, g, t or p, such as 512m',
  );
  assert.is(parseByteSizeText('1ki'), undefined);
  assert.is(parseByteSizeText('m'), undefined);
  assert.is(
    errorOf(() => byteSize(0.5, scope())).split('\n')[0],
    'services.web.healthcheck.interval: invalid byte size 0.5',
  );
});

test('file modes: numbers as written, strings in octal', () => {
  assert.is(fileMode(288, scope()), 288);
  assert.is(fileMode('0440', scope()), 288);
  assert.is(
    errorOf(() => fileMode('rw', scope())),
    'services.web.healthcheck.interval: invalid file mode "rw"\n  hint: write octal digits, such as "0440"',
  );
});

test.run();
