// The /proc reader behind `top`: stat, status and cmdline parsed as the kernel writes them,
// and each `ps -ef` column formatted as procps does.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  cpuColumn,
  cpuTime,
  parseCmdline,
  parseEffectiveUid,
  parsePasswd,
  parseStat,
  parseUptime,
  psRow,
  readProcess,
  readPsClock,
  startTime,
  ttyName,
  type ProcessInfo,
} from '../../src/cli/proc.js';
import { RuntimeError } from '../../src/errors.js';

const SLEEP_STAT =
  '4242 (sleep) S 4200 4242 4242 0 -1 4194560 120 0 0 0 7 3 0 0 20 0 1 0 123456 1540096 ' +
  '98 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n';

const STATUS = [
  'Name:\tsleep',
  'State:\tS (sleeping)',
  'Tgid:\t4242',
  'Pid:\t4242',
  'PPid:\t4200',
  'Uid:\t1000\t33\t33\t33',
  'Gid:\t0\t0\t0\t0',
  '',
].join('\n');

test('parseStat reads the fields after the command name', () => {
  assert.equal(parseStat(SLEEP_STAT), {
    pid: 4242,
    comm: 'sleep',
    state: 'S',
    ppid: 4200,
    ttyNr: 0,
    utime: 7,
    stime: 3,
    startTicks: 123456,
  });
});

test('parseStat: a command name with spaces and parentheses is kept whole', () => {
  const stat = parseStat(SLEEP_STAT.replace('(sleep)', '(my (odd) name) )'));
  assert.is(stat.comm, 'my (odd) name) ');
  assert.is(stat.ppid, 4200);
  assert.is(stat.startTicks, 123456);
});

test('parseStat refuses what is not a stat line', () => {
  assert.throws(
    () => parseStat('not a stat file'),
    (e: unknown) => e instanceof RuntimeError,
  );
  assert.throws(
    () => parseStat('12 (sh) S 1 2'),
    (e: unknown) => e instanceof RuntimeError,
  );
});

test('parseEffectiveUid takes the second of the Uid fields', () => {
  assert.is(parseEffectiveUid(STATUS), 33);
  assert.throws(
    () => parseEffectiveUid('Name:\tx\n'),
    (e: unknown) => e instanceof RuntimeError,
  );
});

test('parseCmdline splits on NUL and keeps empty arguments', () => {
  assert.equal(parseCmdline('sleep\u00001000\u0000'), ['sleep', '1000']);
  assert.equal(parseCmdline('sh\u0000-c\u0000\u0000'), ['sh', '-c', '']);
  assert.equal(parseCmdline(''), []);
});

test('parsePasswd maps UIDs to names, the first entry winning', () => {
  const users = parsePasswd(
    'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n' +
      'toor:x:0:0::/:/bin/sh\n# comment\nbroken\n',
  );
  assert.equal(
    [...users],
    [
      [0, 'root'],
      [33, 'www-data'],
    ],
  );
});

test('parseUptime reads the first number', () => {
  assert.is(parseUptime('3600.25 7000.10\n'), 3600.25);
  assert.throws(
    () => parseUptime('x'),
    (e: unknown) => e instanceof RuntimeError,
  );
});

test('ttyName names pseudo-terminals, virtual consoles and serial lines', () => {
  assert.is(ttyName(0), '?');
  assert.is(ttyName((136 << 8) | 3), 'pts/3');
  assert.is(ttyName((137 << 8) | 4), 'pts/260');
  // Minor numbers above 255 live in bits 20 and up.
  assert.is(ttyName((136 << 8) | (1 << 20)), 'pts/256');
  assert.is(ttyName((4 << 8) | 1), 'tty1');
  assert.is(ttyName((4 << 8) | 64), 'ttyS0');
  assert.is(ttyName((5 << 8) | 1), 'console');
});

test('cpuTime is [DD-]HH:MM:SS of the ticks', () => {
  assert.is(cpuTime(0), '00:00:00');
  assert.is(cpuTime(12_345), '00:02:03');
  assert.is(cpuTime((2 * 86_400 + 3 * 3600 + 4 * 60 + 5) * 100), '2-03:04:05');
});

test('startTime: the time today, the day this year, else the year', () => {
  const now = new Date(2026, 11, 4, 15, 30);
  assert.is(startTime(new Date(2026, 11, 4, 3, 4), now), '03:04');
  assert.is(startTime(new Date(2026, 5, 6, 23, 59), now), 'Jun06');
  assert.is(startTime(new Date(2025, 11, 4, 15, 30), now), '2025');
});

test('cpuColumn is whole percent over the lifetime, at most 99', () => {
  assert.is(cpuColumn(50, 10), 5);
  assert.is(cpuColumn(199, 1), 99);
  assert.is(cpuColumn(10, 0), 0);
});

test('psRow makes the ps -ef columns', () => {
  const p: ProcessInfo = { ...parseStat(SLEEP_STAT), uid: 0, args: ['sleep', '1000'] };
  const now = new Date(2026, 11, 4, 15, 30, 0);
  // Started 60 s ago: 1234.56 s after boot, with the host up 1294.56 s.
  const clock = { now, uptimeSeconds: 1294.56, users: new Map([[0, 'root']]) };
  assert.equal(psRow(p, clock), [
    'root',
    '4242',
    '4200',
    '0',
    '15:29',
    '?',
    '00:00:00',
    'sleep 1000',
  ]);
  const unnamed = psRow({ ...p, uid: 1234, args: [] }, clock);
  assert.is(unnamed[0], '1234');
  assert.is(unnamed[7], '[sleep]');
  assert.is(psRow({ ...p, state: 'Z', args: [] }, clock)[7], '[sleep] <defunct>');
});

test('readProcess reads a process directory; a missing one is undefined', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'tscompose-proc-'));
  try {
    mkdirSync(path.join(root, '4242'));
    writeFileSync(path.join(root, '4242', 'stat'), SLEEP_STAT);
    writeFileSync(path.join(root, '4242', 'status'), STATUS);
    writeFileSync(path.join(root, '4242', 'cmdline'), 'sleep\u00001000\u0000');
    writeFileSync(path.join(root, 'uptime'), '1294.56 100.00\n');
    writeFileSync(path.join(root, 'passwd'), 'nobody:x:33:33::/:/bin/false\n');

    const p = readProcess(4242, root);
    assert.is(p?.uid, 33);
    assert.equal(p?.args, ['sleep', '1000']);
    assert.is(readProcess(4243, root), undefined);

    const clock = readPsClock({ procRoot: root, passwd: path.join(root, 'passwd') });
    assert.is(clock.uptimeSeconds, 1294.56);
    assert.is(clock.users.get(33), 'nobody');
    const noPasswd = readPsClock({ procRoot: root, passwd: path.join(root, 'none') });
    assert.is(noPasswd.users.size, 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('readProcess reads this very process from the real /proc', () => {
  const self = readProcess(process.pid);
  assert.ok(self);
  assert.is(self.pid, process.pid);
  assert.is(self.ppid, process.ppid);
  assert.is(self.uid, process.geteuid?.() ?? self.uid);
  // The command line as the kernel holds it: node, its own flags, then the script's.
  assert.equal(self.args.slice(1, 1 + process.execArgv.length), process.execArgv);
});

test.run();
