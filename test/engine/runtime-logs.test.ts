// Container logs in conmon's k8s-file format: records parsed, partial records joined per
// stream, tail/since/until, and following a file as it is appended to, replaced and created.
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { followLogs, parseLogLine, readLogs, type LogLine } from '../../src/engine/runtime/logs.js';

let dir: string;
let file: string;
test.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tscompose-logs-'));
  file = path.join(dir, 'ctr.log');
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

const at = (second: number, fraction = '000000000') =>
  `2024-05-01T10:00:${String(second).padStart(2, '0')}.${fraction}+00:00`;
const record = (second: number, stream: string, tag: string, text: string) =>
  `${at(second)} ${stream} ${tag} ${text}\n`;

test('parseLogLine reads a full record, a partial one, and an empty line', () => {
  assert.equal(parseLogLine(`${at(1, '123456789')} stdout F hello world`), {
    time: at(1, '123456789'),
    stream: 'stdout',
    partial: false,
    text: 'hello world',
  });
  assert.equal(parseLogLine(`${at(1)} stderr P half`)?.partial, true);
  assert.equal(parseLogLine(`${at(1)} stdout F `)?.text, '');
  assert.equal(parseLogLine(`${at(1)} stdout F`)?.text, '');
  // Spaces inside the text are kept as they were written.
  assert.equal(parseLogLine(`${at(1)} stdout F  two  spaces `)?.text, ' two  spaces ');
});

test('parseLogLine refuses what is not a record', () => {
  assert.is(parseLogLine(''), undefined);
  assert.is(parseLogLine('hello'), undefined);
  assert.is(parseLogLine(`${at(1)} stdin F x`), undefined);
  assert.is(parseLogLine('yesterday stdout F x'), undefined);
});

test('readLogs joins partial records per stream, even when the streams interleave', async () => {
  writeFileSync(
    file,
    record(1, 'stdout', 'P', 'hel') +
      record(1, 'stderr', 'F', 'warning') +
      record(2, 'stdout', 'P', 'lo ') +
      record(2, 'stdout', 'F', 'world') +
      record(3, 'stdout', 'F', 'next'),
  );
  const lines = await readLogs(file);
  assert.equal(lines, [
    { time: at(1), stream: 'stderr', text: 'warning' },
    { time: at(1), stream: 'stdout', text: 'hello world' },
    { time: at(3), stream: 'stdout', text: 'next' },
  ]);
});

test('readLogs keeps output that never got its newline, and skips a line cut short', async () => {
  writeFileSync(
    file,
    record(1, 'stdout', 'F', 'a') + record(2, 'stdout', 'P', 'prompt> ') + 'garb',
  );
  const lines = await readLogs(file);
  assert.equal(
    lines.map((line) => line.text),
    ['a', 'prompt> '],
  );
});

test('readLogs: tail, since and until, and a missing file is no lines', async () => {
  writeFileSync(file, [1, 2, 3, 4, 5].map((s) => record(s, 'stdout', 'F', `l${s}`)).join(''));
  const texts = (lines: LogLine[]) => lines.map((line) => line.text);
  assert.equal(texts(await readLogs(file, { tail: 2 })), ['l4', 'l5']);
  assert.equal(texts(await readLogs(file, { tail: 0 })), []);
  assert.equal(texts(await readLogs(file, { tail: 10 })), ['l1', 'l2', 'l3', 'l4', 'l5']);
  const since = new Date('2024-05-01T10:00:03Z');
  assert.equal(texts(await readLogs(file, { since })), ['l3', 'l4', 'l5']);
  const until = new Date('2024-05-01T10:00:04Z');
  assert.equal(texts(await readLogs(file, { since, until })), ['l3']);
  // The tail counts from the end of what since/until let through.
  assert.equal(texts(await readLogs(file, { until, tail: 1 })), ['l3']);
  assert.equal(await readLogs(path.join(dir, 'none.log')), []);
});

test('since compares at millisecond precision, the nanoseconds cut', async () => {
  writeFileSync(
    file,
    `${at(1, '000999999')} stdout F early\n${at(1, '001000001')} stdout F late\n`,
  );
  const lines = await readLogs(file, { since: new Date('2024-05-01T10:00:01.001Z') });
  assert.equal(
    lines.map((line) => line.text),
    ['late'],
  );
});

/** Takes lines from an iterator until `count`, then stops following. */
async function take(
  lines: AsyncIterable<LogLine>,
  count: number,
  controller: AbortController,
  onLine: (line: LogLine, index: number) => void = () => undefined,
): Promise<string[]> {
  const texts: string[] = [];
  for await (const line of lines) {
    onLine(line, texts.length);
    texts.push(line.text);
    if (texts.length === count) controller.abort();
  }
  return texts;
}

test('followLogs: the tail of what is there, then each appended line as it comes', async () => {
  writeFileSync(file, [1, 2, 3].map((s) => record(s, 'stdout', 'F', `old${s}`)).join(''));
  const controller = new AbortController();
  const lines = followLogs(file, { tail: 1, signal: controller.signal, pollMs: 50 });
  const texts = await take(lines, 4, controller, (_, index) => {
    // Each append happens only after the line before it was yielded.
    if (index === 0) appendFileSync(file, record(4, 'stdout', 'P', 'new'));
    if (index === 0) appendFileSync(file, record(4, 'stdout', 'F', '4'));
    if (index === 1) appendFileSync(file, record(5, 'stderr', 'F', 'err5'));
    if (index === 2) appendFileSync(file, `${at(6)} stdout F half`); // no newline yet
    if (index === 2) setTimeout(() => appendFileSync(file, ' written\n'), 100);
  });
  assert.equal(texts, ['old3', 'new4', 'err5', 'half written']);
});

test('followLogs waits for a file that does not exist yet, and reads a replaced one anew', async () => {
  const controller = new AbortController();
  const lines = followLogs(file, { signal: controller.signal, pollMs: 50 });
  setTimeout(() => writeFileSync(file, record(1, 'stdout', 'F', 'first')), 50);
  const texts = await take(lines, 2, controller, (_, index) => {
    if (index !== 0) return;
    // conmon's rotation: a new file renamed over the old one.
    writeFileSync(`${file}.tmp`, record(2, 'stdout', 'F', 'rotated'));
    renameSync(`${file}.tmp`, file);
  });
  assert.equal(texts, ['first', 'rotated']);
});

test('followLogs ends quietly when aborted while it waits', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const texts: string[] = [];
  for await (const line of followLogs(file, { signal: controller.signal })) texts.push(line.text);
  assert.equal(texts, []);
});

test.run();
