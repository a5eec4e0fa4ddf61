// Signals as users write them, and what a process does with one (from /proc/PID/status).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSignal, signalDisposition } from '../../src/engine/runtime/signals.js';
import { InvalidError } from '../../src/errors.js';
import { commandRuns, whenMet } from '../helpers/requirements.js';

test('parseSignal takes names with and without SIG, any case, and numbers', () => {
  assert.equal(parseSignal('SIGTERM'), { name: 'SIGTERM', number: 15 });
  assert.equal(parseSignal('TERM'), { name: 'SIGTERM', number: 15 });
  assert.equal(parseSignal('sigkill'), { name: 'SIGKILL', number: 9 });
  assert.equal(parseSignal('15'), { name: 'SIGTERM', number: 15 });
  assert.equal(parseSignal(' hup '), { name: 'SIGHUP', number: 1 });
  assert.equal(parseSignal('SIGUSR1'), { name: 'SIGUSR1', number: 10 });
  assert.equal(parseSignal('SIGWINCH'), { name: 'SIGWINCH', number: 28 });
});

test('parseSignal maps aliases and the real-time signals as Docker counts them', () => {
  assert.equal(parseSignal('SIGIOT'), { name: 'SIGABRT', number: 6 });
  assert.equal(parseSignal('poll'), { name: 'SIGIO', number: 29 });
  assert.equal(parseSignal('SIGRTMIN'), { name: 'SIGRTMIN', number: 34 });
  assert.equal(parseSignal('RTMIN+3'), { name: 'SIGRTMIN+3', number: 37 });
  assert.equal(parseSignal('SIGRTMAX-1'), { name: 'SIGRTMIN+29', number: 63 });
  assert.equal(parseSignal('64'), { name: 'SIGRTMIN+30', number: 64 });
});

test('parseSignal refuses what is not a signal', () => {
  for (const text of ['', 'SIGFOO', 'KIL', '0', '65', '-9', '1.5', '32', 'RTMIN+31', 'SIG']) {
    assert.throws(
      () => parseSignal(text),
      (error: unknown) =>
        error instanceof InvalidError && error.message === `"${text}" is not a signal`,
      text,
    );
  }
});

const shell = commandRuns('sh', ['-c', 'true'], 'a shell sets the signal handlers to look at');

whenMet(test, shell, () => {
  let children: ChildProcess[] = [];
  test.after.each(() => {
    for (const child of children) child.kill('SIGKILL');
    children = [];
  });

  /** A shell that has set its traps, then waits: `ready` is printed once they are set. */
  async function shellWith(traps: string): Promise<number> {
    const child = spawn('sh', ['-c', `${traps}; echo ready; while :; do sleep 1; done`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(child);
    await once(child.stdout!, 'data');
    return child.pid!;
  }

  test('signalDisposition tells a handler, an ignored signal and the default apart', async () => {
    const pid = await shellWith(`trap 'echo got' USR1; trap '' USR2`);
    assert.is(signalDisposition(pid, parseSignal('USR1').number), 'caught');
    assert.is(signalDisposition(pid, parseSignal('USR2').number), 'ignored');
    assert.is(signalDisposition(pid, parseSignal('HUP').number), 'default');
    // Above 32 the mask is wider than 32 bits.
    assert.is(signalDisposition(pid, parseSignal('RTMIN+5').number), 'default');
  });

  test('signalDisposition: an exited process, or a pid never used, is gone', async () => {
    const child = spawn('sh', ['-c', 'exit 0'], { stdio: 'ignore' });
    const pid = child.pid!;
    // Node has reaped it by the exit event: there is no process at all.
    await once(child, 'exit');
    assert.is(signalDisposition(pid, 15), 'gone');
    assert.is(signalDisposition(2 ** 22 + 1, 15), 'gone');
  });
});

test('signalDisposition sees this process’s own SIGPIPE (Node ignores it)', () => {
  assert.is(signalDisposition(process.pid, parseSignal('PIPE').number), 'ignored');
});

test.run();
