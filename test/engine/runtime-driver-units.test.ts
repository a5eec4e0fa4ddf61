// The runtime driver's pure parts: which runtime and conmon, conmon's command line, the
// runtime's error messages and what they mean, exit files, and the exec process spec.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseRuntime, findConmon } from '../../src/engine/runtime/choose.js';
import { parseReport } from '../../src/engine/runtime/conmon-sync.js';
import { conmonArgs, type ConmonLaunch } from '../../src/engine/runtime/conmon.js';
import { createError } from '../../src/engine/runtime/create-error.js';
import { readExit, waitForExit } from '../../src/engine/runtime/exit.js';
import { BoundedText, runtimeMessage } from '../../src/engine/runtime/invoke.js';
import { execSpec } from '../../src/engine/runtime/runc-exec.js';
import {
  ociConfigJson,
  ociProcessJson,
  parseOciProcess,
} from '../../src/engine/runtime/spec/json.js';
import { OciRuntime } from '../../src/engine/runtime/runc.js';
import { NotFoundError, RuntimeError } from '../../src/errors.js';

let dir: string;
test.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tscompose-runtime-units-'));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

function fakeBinary(name: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, '#!/bin/sh\n');
  chmodSync(file, 0o755);
  return file;
}

test('chooseRuntime: an override path wins, and its name says runc or crun', () => {
  const crun = fakeBinary('crun');
  assert.equal(chooseRuntime({ override: crun, pureCgroupV2: false }), {
    name: 'crun',
    path: crun,
  });
  const custom = fakeBinary('my-runc');
  assert.equal(chooseRuntime({ override: custom, pureCgroupV2: true }), {
    name: 'runc',
    path: custom,
  });
});

test('chooseRuntime: a missing override is not found, with the package to install', () => {
  const missing = path.join(dir, 'crun');
  assert.throws(
    () => chooseRuntime({ override: missing, pureCgroupV2: false }),
    (error: unknown) =>
      error instanceof NotFoundError &&
      error.message === `the runtime ${missing} was not found` &&
      error.hint === 'apt-get install crun, or fix TSCOMPOSE_RUNTIME',
  );
  // A directory is not a binary.
  mkdirSync(path.join(dir, 'runc'));
  assert.throws(() => chooseRuntime({ override: path.join(dir, 'runc'), pureCgroupV2: false }));
});

test('findConmon: an explicit path that is not there names the package', () => {
  assert.throws(
    () => findConmon(path.join(dir, 'conmon')),
    (error: unknown) =>
      error instanceof NotFoundError && /apt-get install conmon/.test(error.hint ?? ''),
  );
  const conmon = fakeBinary('conmon');
  assert.is(findConmon(conmon), conmon);
});

const launch: ConmonLaunch = {
  id: 'abc',
  name: 'web-1',
  bundle: '/b',
  runtime: { name: 'runc', path: '/usr/sbin/runc' },
  runtimeRoot: '/run/tscompose/runc',
  logPath: '/l/ctr.log',
  exitDir: '/e',
  persistDir: '/p',
  pidFile: '/p/pid',
  conmonPidFile: '/p/conmon.pid',
};

test('conmonArgs: API 1, the runtime root passed through, the k8s-file log', () => {
  const args = conmonArgs({
    ...launch,
    logSizeMax: 1024,
    exitCommand: { path: '/bin/keeper', args: ['exited', 'abc'] },
  });
  const joined = args.join(' ');
  assert.ok(args.includes('--api-version'));
  assert.match(joined, '--cid abc --cuuid abc --name web-1 --runtime /usr/sbin/runc');
  assert.match(joined, '--runtime-arg --root --runtime-arg /run/tscompose/runc');
  assert.match(joined, '--log-path k8s-file:/l/ctr.log');
  assert.match(joined, '--exit-dir /e --persist-dir /p');
  assert.match(joined, '--log-size-max 1024');
  assert.match(
    joined,
    '--exit-command /bin/keeper --exit-command-arg exited --exit-command-arg abc',
  );
  assert.ok(args.includes('--full-attach'));
  assert.not.ok(args.includes('--syslog'));
});

test('parseReport: the pid, a failure with its message, and a line JSON would refuse', () => {
  assert.equal(parseReport('{"data": 4242}'), { data: 4242, message: undefined });
  assert.equal(parseReport('{"data": -1, "message": "exec: \\"x\\": not found\\n"}'), {
    data: -1,
    message: 'exec: "x": not found\n',
  });
  const loose = parseReport('{"data": -1, "message": "bad \\q escape"}');
  assert.is(loose.data, -1);
  assert.match(loose.message ?? '', 'bad');
  assert.equal(parseReport('nonsense'), { data: undefined, message: 'nonsense' });
});

// What conmon relayed from runc 1.1.5 on this project's machines; crun's wording is taken
// from its source (crun refuses this host's hybrid cgroups, so it was not recorded here).
const RUNC_NOT_FOUND =
  'time="2024-01-01T00:00:00Z" level=error msg="runc create failed: unable to start container process: exec: \\"nosuchcmd\\": executable file not found in $PATH"\n';
const RUNC_NO_FILE =
  'time="2024-01-01T00:00:00Z" level=error msg="runc create failed: unable to start container process: exec: \\"/nonexist/foo\\": stat /nonexist/foo: no such file or directory"\n';
const RUNC_DENIED =
  'time="2024-01-01T00:00:00Z" level=error msg="runc create failed: unable to start container process: exec: \\"/etc/passwd\\": permission denied"\n';
const CRUN_NOT_FOUND =
  'executable file `nosuchcmd` not found in $PATH: No such file or directory\n';

test('createError: a missing command is "not found in the image", exit code 127', () => {
  for (const [stderr, command] of [
    [RUNC_NOT_FOUND, 'nosuchcmd'],
    [RUNC_NO_FILE, '/nonexist/foo'],
    [CRUN_NOT_FOUND, 'nosuchcmd'],
  ] as const) {
    const error = createError('abc', stderr);
    assert.instance(error, RuntimeError);
    assert.is(error.message, `the command "${command}" was not found in the image`);
    assert.is(error.exitCode, 127);
  }
  assert.is(
    createError('abc', RUNC_NOT_FOUND).runtimeMessage,
    'runc create failed: unable to start container process: exec: "nosuchcmd": executable file not found in $PATH',
  );
});

test('createError: a file that cannot be executed is 126; anything else keeps runc’s words', () => {
  const denied = createError('abc', RUNC_DENIED);
  assert.is(denied.message, 'the command "/etc/passwd" cannot be executed in the image');
  assert.is(denied.exitCode, 126);
  const mount =
    'time="x" level=warning msg="cgroup warning"\ntime="x" level=error msg="runc create failed: unable to start container process: error during container init: error mounting \\"proc\\" to rootfs at \\"/proc\\": no such file or directory"\n';
  const other = createError('abc', mount);
  assert.is(other.exitCode, undefined);
  assert.match(other.message, /^container abc could not be created: runc create failed: .*"proc"/);
  assert.not.match(other.message, 'cgroup warning');
});

test('createError: a ulimit the host will not raise is named, with the way out', () => {
  const said =
    'time="x" level=error msg="runc create failed: unable to start container process: error during container init: error setting rlimits for ready process: error setting rlimit type 8: operation not permitted"\n';
  const error = createError('abc', said);
  assert.is(error.message, 'the ulimit memlock is above what this host lets be set');
  assert.match(error.hint ?? '', /CAP_SYS_RESOURCE.*ulimits\.memlock/);
});

test('runtimeMessage: logrus errors unquoted, plain text kept, nothing said is said', () => {
  assert.is(
    runtimeMessage('time="t" level=error msg="container does not exist"\n'),
    'container does not exist',
  );
  assert.is(runtimeMessage('first line\nsecond line\n'), 'first line; second line');
  assert.is(runtimeMessage(''), 'no message');
});

test('readExit: undefined while running, then the code, OOM and when', () => {
  const exits = path.join(dir, 'exits');
  const persist = path.join(dir, 'persist');
  mkdirSync(exits);
  mkdirSync(persist);
  assert.is(readExit(exits, persist, 'abc'), undefined);
  writeFileSync(path.join(exits, 'abc'), '137');
  writeFileSync(path.join(persist, 'oom'), '');
  const exit = readExit(exits, persist, 'abc');
  assert.is(exit?.exitCode, 137);
  assert.is(exit?.oomKilled, true);
  assert.ok(Math.abs(Date.parse(exit!.finishedAt) - Date.now()) < 60_000);
  writeFileSync(path.join(exits, 'bad'), 'garbage');
  assert.throws(() => readExit(exits, persist, 'bad'), /not an exit code/);
});

test('waitForExit: wakes when the file appears; aborts; fails when conmon is gone', async () => {
  const exits = path.join(dir, 'exits');
  mkdirSync(exits);
  setTimeout(() => writeFileSync(path.join(exits, 'abc'), '0'), 50);
  const exit = await waitForExit(exits, dir, 'abc', { signal: AbortSignal.timeout(5000) });
  assert.is(exit.exitCode, 0);

  const aborted = await waitForExit(exits, dir, 'other', { signal: AbortSignal.timeout(50) }).then(
    () => 'resolved',
    (error: Error) => error.name,
  );
  assert.is(aborted, 'TimeoutError');

  const gone = await waitForExit(exits, dir, 'other', { conmonPid: 2 ** 22 + 1 }).then(
    () => 'resolved',
    (error: Error) => error.message,
  );
  assert.is(gone, `conmon (pid ${2 ** 22 + 1}) of container other is gone`);
});

test('execSpec: the container’s process underneath, the exec’s arguments over it', () => {
  const base = {
    terminal: false,
    args: ['sleep', '1000'],
    env: ['PATH=/bin', 'A=1'],
    cwd: '/srv',
    user: { uid: 1000, gid: 1000 },
    capabilities: { bounding: ['CAP_KILL'] },
    noNewPrivileges: true,
  };
  assert.equal(execSpec(base, { args: ['echo', 'hi'] }), { ...base, args: ['echo', 'hi'] });
  const own = execSpec(base, { args: ['id'], env: ['B=2'], cwd: '/', user: { uid: 0, gid: 0 } });
  assert.equal(own.env, ['B=2']);
  assert.equal(own.user, { uid: 0, gid: 0 });
  assert.equal(own.capabilities, { bounding: ['CAP_KILL'] });
});

test('an exec of a container with an unlimited rlimit writes 2^64-1 exactly, as config.json has it', () => {
  const config = ociConfigJson({
    ociVersion: '1.0.2',
    process: {
      user: { uid: 0, gid: 0 },
      args: ['sleep', '1000'],
      env: [],
      cwd: '/',
      rlimits: [
        { type: 'RLIMIT_MEMLOCK', soft: -1, hard: -1 },
        { type: 'RLIMIT_NOFILE', soft: 512, hard: 1024 },
      ],
    },
    root: { path: 'rootfs' },
    mounts: [],
    linux: { namespaces: [] },
  });
  assert.match(config, /"soft": 18446744073709551615,\s*"hard": 18446744073709551615/);
  const text = ociProcessJson(execSpec(parseOciProcess(config), { args: ['id'] }));
  assert.match(
    text,
    /"rlimits":\[\{"type":"RLIMIT_MEMLOCK","soft":18446744073709551615,"hard":18446744073709551615\}/,
  );
  assert.match(text, /\{"type":"RLIMIT_NOFILE","soft":512,"hard":1024\}\]/);
  assert.match(text, /"args":\["id"\]/);
});

test('execArgv: the runtime in front, with its root, the process file and the ID last', () => {
  const runtime = new OciRuntime({ name: 'runc', path: '/usr/sbin/runc' }, '/run/r');
  assert.equal(runtime.execArgv('abc', '/tmp/p.json', { tty: true }), {
    command: '/usr/sbin/runc',
    args: ['--root', '/run/r', 'exec', '--tty', '--process', '/tmp/p.json', 'abc'],
  });
  assert.equal(runtime.execArgv('abc', '/tmp/p.json', { tty: false, detach: true }).args, [
    '--root',
    '/run/r',
    'exec',
    '--detach',
    '--process',
    '/tmp/p.json',
    'abc',
  ]);
});

test('BoundedText keeps the last bytes only', () => {
  const text = new BoundedText(10);
  for (const part of ['0123456789', 'abcdef', 'XYZ']) text.push(Buffer.from(part));
  assert.is(text.text(), '789abcdefXYZ'.slice(-10));
});

test.run();
