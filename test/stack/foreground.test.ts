// Foreground `up`, as a user runs it in a terminal: the built CLI in a child process,
// its containers' output on stdout, Ctrl+C (SIGINT) stopping the stack.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { whenMet } from '../helpers/requirements.js';
import { containersRequirement, testStack, type TestStack } from '../helpers/stack.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/tscompose.js');

let s: TestStack | undefined;
let child: ChildProcess | undefined;
test.after.each(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  const left = await s?.dispose();
  s = undefined;
  assert.equal(left ?? [], [], 'nothing left behind');
});

function start(t: TestStack, args: string[]) {
  const proc = spawn(process.execPath, [BIN, '-p', t.project, ...args], {
    cwd: t.dir,
    env: { ...process.env, ...t.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  proc.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number>((resolve) =>
    proc.once('close', (code) => resolve(code ?? -1)),
  );
  const output = () => ({ stdout, stderr });
  /** Resolves once stdout matches; rejects if the process ends first or time runs out. */
  const waitFor = (pattern: RegExp, ms = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${pattern} in: ${stdout}\n${stderr}`)),
        ms,
      );
      const check = () => {
        if (pattern.test(stdout)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', check);
      proc.once('close', () => {
        clearTimeout(timer);
        if (pattern.test(stdout)) resolve();
        else reject(new Error(`exited before ${pattern}: ${stdout}\n${stderr}`));
      });
      check();
    });
  return { proc, exited, output, waitFor };
}

whenMet(test, containersRequirement, () => {
  test('up streams the logs with a name per line; Ctrl+C stops the stack', async () => {
    s = await testStack();
    const t = s;
    t.compose(
      [
        'services:',
        '  ticker:',
        '    image: busybox',
        '    command: ["sh", "-c", "echo tick; exec sleep 1000"]',
        '',
      ].join('\n'),
    );
    const run = start(t, ['up']);
    await run.waitFor(/ticker-1 +\| tick/);
    run.proc.kill('SIGINT');
    const code = await run.exited;
    assert.is(code, 0, run.output().stderr);
    assert.match(run.output().stderr, /Gracefully stopping/);
    const ps = await t.ok(['ps', '-a', '--format', 'json']);
    assert.is(JSON.parse(ps.trim()).State, 'exited');
  });

  test('--exit-code-from ends with that service and its exit code', async () => {
    s = await testStack();
    const t = s;
    t.compose(
      [
        'services:',
        '  job:',
        '    image: busybox',
        '    command: ["sh", "-c", "echo working; sleep 0.5; exit 5"]',
        '  sidecar:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '',
      ].join('\n'),
    );
    const run = start(t, ['up', '--exit-code-from', 'job']);
    assert.is(await run.exited, 5, run.output().stderr);
    assert.match(run.output().stdout, /job-1 +\| working/);
    const rows = (await t.ok(['ps', '-a', '--format', 'json']))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { Service: string; State: string });
    assert.equal(rows.map((r) => `${r.Service}:${r.State}`).sort(), [
      'job:exited',
      'sidecar:exited',
    ]);
  });
});

test.run();
