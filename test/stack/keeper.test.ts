// The keeper: restart policies, healthchecks after `up -d`, and a stack adopted again
// after its keeper was killed. Real containers; the keeper is the built CLI (npm run build).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { whenMet } from '../helpers/requirements.js';
import { containersRequirement, stacksFor, type TestStack } from '../helpers/stack.js';

const stack = stacksFor(test);

interface Row {
  Service: string;
  State: string;
  Health: string;
  ExitCode: number;
  ID: string;
}

async function rows(t: TestStack): Promise<Row[]> {
  const out = await t.ok(['ps', '-a', '--format', 'json']);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Row);
}

/** Polls `ps` until `ready` holds; fails after `ms` (a bound, not a timing assertion). */
async function until(t: TestStack, ready: (rows: Row[]) => boolean, ms = 30_000): Promise<Row[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = await rows(t);
    if (ready(now)) return now;
    if (Date.now() > deadline) throw new Error(`not reached in ${ms} ms: ${JSON.stringify(now)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function keeperPid(t: TestStack): number {
  const file = path.join(t.env.TSCOMPOSE_RUN_ROOT!, 'keepers', `${t.project}.pid`);
  return Number(readFileSync(file, 'utf8').trim());
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

whenMet(test, containersRequirement, () => {
  test('on-failure:2 restarts a failing service twice, then leaves it exited', async () => {
    const t = await stack(
      [
        'services:',
        '  flaky:',
        '    image: busybox',
        '    command: ["sh", "-c", "echo run; exit 3"]',
        '    restart: on-failure:2',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    const logs = async () => (await t.ok(['logs', '--no-log-prefix'])).match(/^run$/gm)?.length;
    const deadline = Date.now() + 30_000;
    while ((await logs()) !== 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.is(await logs(), 3, 'the first run and two restarts');
    const [row] = await until(t, (r) => r[0]?.State === 'exited');
    assert.is(row!.ExitCode, 3);
  });

  test('restart: always brings back a container that exits; a stop by the user is final', async () => {
    const t = await stack(
      [
        'services:',
        '  worker:',
        '    image: busybox',
        '    command: ["sh", "-c", "sleep 0.3; exit 0"]',
        '    restart: always',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    await until(t, () => {
      const log = readFileSync(logFile(t), 'utf8');
      return /restarted \(always, restart 2\)/.test(log);
    });
    await t.ok(['stop', '-t', '0']);
    const stopped = await rows(t);
    assert.is(stopped[0]!.State, 'exited');
    // Long enough for a restart to have happened were one coming (its delay is under 1 s).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.is((await rows(t))[0]!.State, 'exited', 'not restarted after the user stopped it');
  });

  test('healthchecks go on after up -d; a killed keeper is replaced, the containers stay', async () => {
    const t = await stack(
      [
        'services:',
        '  app:',
        '    image: busybox',
        '    command: ["sh", "-c", "touch /tmp/ok; exec sleep 1000"]',
        '    healthcheck:',
        '      test: ["CMD-SHELL", "test -f /tmp/ok"]',
        '      interval: 300ms',
        '      start_interval: 100ms',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    const before = await until(t, (r) => r[0]?.Health === 'healthy');
    const first = keeperPid(t);
    assert.ok(alive(first), 'the keeper runs');

    await t.ok(['exec', '-T', 'app', 'rm', '/tmp/ok']);
    await until(t, (r) => r[0]?.Health === 'unhealthy');

    process.kill(first, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (alive(first) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const during = await rows(t);
    assert.is(during[0]!.State, 'running', 'the container outlives its keeper');
    assert.is(during[0]!.ID, before[0]!.ID);

    const second = keeperPid(t);
    assert.is.not(second, first, 'ps adopted the stack with a new keeper');
    assert.ok(alive(second));
    await t.ok(['exec', '-T', 'app', 'touch', '/tmp/ok']);
    await until(t, (r) => r[0]?.Health === 'healthy');

    await t.ok(['down', '-t', '0']);
    assert.not.ok(alive(second), 'down ends the keeper');
  });
});

function logFile(t: TestStack): string {
  return path.join(t.root, 'keepers', `${t.project}.log`);
}

test.run();
