// `stats`, `top`, `events` and `ls` against a real stack: usage from the container's
// cgroup, its processes from /proc, the event log across up, stop and down, and the
// project list from the engine alone.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventsCommandWith } from '../../src/cli/commands/events.js';
import { lsCommand } from '../../src/cli/commands/ls.js';
import { statsCommandWith } from '../../src/cli/commands/stats.js';
import { topCommand } from '../../src/cli/commands/top.js';
import type { Command } from '../../src/cli/context.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { runCommand, startCommand, waitUntil, type RunningCommand } from '../helpers/command.js';
import { whenMet } from '../helpers/requirements.js';
import { containersRequirement, testStack, type TestStack } from '../helpers/stack.js';

let s: TestStack | undefined;
/** Followers still running when a test fails: stopped before the stack is taken down. */
const followers: AbortController[] = [];
test.after.each(async () => {
  for (const controller of followers.splice(0)) controller.abort();
  const left = await s?.dispose();
  s = undefined;
  assert.equal(left ?? [], [], 'down left nothing behind');
});

const COMPOSE = [
  'services:',
  '  app:',
  '    image: busybox',
  '    command: ["sleep", "1000"]',
  '    mem_limit: 64m',
  '',
].join('\n');

async function stack(): Promise<TestStack> {
  s = await testStack();
  s.compose(COMPOSE);
  return s;
}

function start(t: TestStack, command: Command, name: string, args: string[]): RunningCommand {
  return startCommand(command, name, ['-p', t.project, ...args], { cwd: t.dir, env: t.env });
}

async function ok(t: TestStack, command: Command, name: string, args: string[]) {
  const result = await start(t, command, name, args).done;
  assert.is(result.code, EXIT.ok, `${name} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function follower(): AbortController {
  const controller = new AbortController();
  followers.push(controller);
  return controller;
}

whenMet(test, containersRequirement, () => {
  test('stats shows the memory limit and the pids; streaming stops on its signal', async () => {
    const t = await stack();
    await t.ok(['up', '-d']);
    const name = `${t.project}-app-1`;
    const once = statsCommandWith({ intervalMs: 100 });

    const json = await ok(t, once, 'stats', ['--no-stream', '--format', 'json']);
    const rows = json
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string>);
    assert.is(rows.length, 1, json);
    assert.is(rows[0]!.Name, name);
    assert.match(rows[0]!.MemUsage!, / \/ 64MiB$/);
    assert.match(rows[0]!.CPUPerc!, /^\d+\.\d\d%$/);
    assert.is(rows[0]!.PIDs, '1');

    const tableOut = await ok(t, once, 'stats', ['--no-stream', 'app']);
    assert.match(tableOut, /^CONTAINER ID {3}NAME .* {3}PIDS$/m);
    assert.match(tableOut, new RegExp(`^[0-9a-f]{12} {3}${name} .*/ 64MiB .* 1$`, 'm'));

    const missing = await runCommand(once, 'stats', ['-p', t.project, '--no-stream', 'nope'], {
      cwd: t.dir,
      env: t.env,
    });
    assert.is(missing.code, EXIT.notFound, missing.stderr);
    assert.match(missing.stderr, 'no such service: nope');

    const stop = follower();
    const stream = start(t, statsCommandWith({ intervalMs: 20, signal: stop.signal }), 'stats', []);
    const blocks = () => stream.stdout().split('CONTAINER ID').length - 1;
    await waitUntil(() => blocks() >= 2, 'two blocks of stats');
    stop.abort();
    const streamed = await stream.done;
    assert.is(streamed.code, EXIT.ok, streamed.stderr);
    assert.not.match(streamed.stdout, '\u001b[2J', 'no screen clearing into a pipe');
  });

  test('top lists the sleep with its host PID', async () => {
    const t = await stack();
    await t.ok(['up', '-d']);
    const out = await ok(t, topCommand, 'top', []);
    const lines = out.trimEnd().split('\n');
    assert.is(lines[0], `${t.project}-app-1`);
    assert.match(lines[1]!, /^UID +PID +PPID +C +STIME +TTY +TIME +CMD$/);
    const row = lines.find((line) => line.endsWith('sleep 1000'));
    assert.ok(row, out);
    const [user, pid] = row.split(/\s+/);
    assert.is(user, 'root');
    assert.is(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), 'sleep\u00001000\u0000');
  });

  test('events follows up, stop and down; ls lists the project while it has containers', async () => {
    const t = await stack();
    let following = 0;
    const onFollowing = () => (following += 1);
    const stop = follower();
    const text = start(
      t,
      eventsCommandWith({ pollMs: 20, signal: stop.signal, onFollowing }),
      'events',
      [],
    );
    const json = start(
      t,
      eventsCommandWith({ pollMs: 20, signal: stop.signal, onFollowing }),
      'events',
      ['--json'],
    );
    await waitUntil(() => following === 2, 'both followers to take their starting point');

    await t.ok(['up', '-d']);
    const configFile = path.join(t.dir, 'compose.yaml');
    const listed = await ok(t, lsCommand, 'ls', []);
    assert.match(listed, /^NAME +STATUS +CONFIG FILES$/m);
    assert.match(listed, `${t.project}   running(1)   ${configFile}`);
    assert.equal(JSON.parse(await ok(t, lsCommand, 'ls', ['--format', 'json'])), [
      { Name: t.project, Status: 'running(1)', ConfigFiles: configFile },
    ]);
    assert.is(await ok(t, lsCommand, 'ls', ['-q']), `${t.project}\n`);

    await t.ok(['stop', '-t', '0']);
    assert.not.match(await ok(t, lsCommand, 'ls', []), t.project);
    assert.match(await ok(t, lsCommand, 'ls', ['-a']), `${t.project}   exited(1)`);

    await t.ok(['down', '-t', '0']);
    const actions = () =>
      json
        .stdout()
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { action: string }).action);
    await waitUntil(() => actions().includes('destroy'), 'the destroy event');
    await waitUntil(() => text.stdout().includes(' destroy '), 'the destroy line');
    stop.abort();
    const [textDone, jsonDone] = await Promise.all([text.done, json.done]);
    assert.is(textDone.code, EXIT.ok, textDone.stderr);
    assert.is(jsonDone.code, EXIT.ok, jsonDone.stderr);

    const seen = actions();
    const order = ['create', 'start', 'stop', 'destroy'].map((action) => seen.indexOf(action));
    assert.ok(
      order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!)),
      seen.join(' '),
    );
    const first = JSON.parse(jsonDone.stdout.split('\n')[0]!) as Record<string, unknown>;
    assert.equal(first.attributes, { name: `${t.project}-app-1`, service: 'app' });
    assert.is(first.service, 'app');
    const name = `${t.project}-app-1`;
    assert.match(
      textDone.stdout,
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6} container start [0-9a-f]+ \\(name=${name}, service=app\\)$`,
        'm',
      ),
    );

    assert.not.match(await ok(t, lsCommand, 'ls', ['-a']), t.project);
  });
});

test.run();
