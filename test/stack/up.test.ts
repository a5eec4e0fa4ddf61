// `up`, `ps`, `logs`, `exec` and `down` with real containers: runc under conmon, on
// overlay snapshots of a bootstrapped busybox image, in cgroups of their own.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { whenMet } from '../helpers/requirements.js';
import { containersRequirement, stacksFor, type TestStack } from '../helpers/stack.js';

const stack = stacksFor(test);

interface PsRow {
  Name: string;
  Service: string;
  State: string;
  Health: string;
  ExitCode: number;
  ID: string;
}

async function ps(t: TestStack, ...args: string[]): Promise<PsRow[]> {
  const out = await t.ok(['ps', '--format', 'json', ...args]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as PsRow);
}

async function execOut(t: TestStack, service: string, script: string): Promise<string> {
  const out = await t.ok(['exec', '-T', service, 'sh', '-c', script]);
  return out.trim();
}

whenMet(test, containersRequirement, () => {
  test('up -d starts a stack, ps shows it, logs has its output, down removes it all', async () => {
    const t = await stack(
      [
        'services:',
        '  web:',
        '    image: busybox',
        '    command: ["sh", "-c", "echo hello from web; echo oops >&2; exec sleep 1000"]',
        '    hostname: webhost',
        '    environment: { GREETING: hi }',
        '',
      ].join('\n'),
    );
    const upResult = await t.cli(['up', '-d']);
    assert.is(upResult.code, 0, upResult.stderr);
    assert.match(upResult.stderr, `Container ${t.project}-web-1  Started`);

    const rows = await ps(t);
    assert.is(rows.length, 1);
    assert.is(rows[0]!.Name, `${t.project}-web-1`);
    assert.is(rows[0]!.Service, 'web');
    assert.is(rows[0]!.State, 'running');

    assert.is(await execOut(t, 'web', 'hostname'), 'webhost');
    assert.is(await execOut(t, 'web', 'echo $GREETING'), 'hi');
    assert.is.not(await execOut(t, 'web', 'echo $$'), '1', 'exec runs a new process, not PID 1');

    const logs = await t.ok(['logs', '--no-log-prefix', 'web']);
    assert.match(logs, /^hello from web$/m);
    assert.match(logs, /^oops$/m);

    const down = await t.cli(['down', '-t', '1']);
    assert.is(down.code, 0, down.stderr);
    assert.match(down.stderr, `Container ${t.project}-web-1  Removed`);
    assert.equal(await ps(t, '-a'), []);
  });

  test('up twice recreates nothing; a changed service is recreated alone', async () => {
    const compose = (value: string) =>
      [
        'services:',
        '  a:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '  b:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        `    environment: { VALUE: "${value}" }`,
        '',
      ].join('\n');
    const t = await stack(compose('one'));
    await t.ok(['up', '-d']);
    const first = await ps(t);
    const again = await t.cli(['up', '-d']);
    assert.is(again.code, 0, again.stderr);
    assert.match(again.stderr, /a-1 {2}Running/);
    assert.equal(await ps(t), first, 'same containers, same IDs');

    t.compose(compose('two'));
    const changed = await t.cli(['up', '-d']);
    assert.match(changed.stderr, /b-1 {2}Recreate/);
    assert.match(changed.stderr, /a-1 {2}Running/);
    const after = await ps(t);
    const id = (rows: PsRow[], service: string) => rows.find((r) => r.Service === service)!.ID;
    assert.is(id(after, 'a'), id(first, 'a'));
    assert.is.not(id(after, 'b'), id(first, 'b'));
    assert.is(await execOut(t, 'b', 'echo $VALUE'), 'two');

    const forced = await t.cli(['up', '-d', '--force-recreate', 'a']);
    assert.is(forced.code, 0, forced.stderr);
    assert.is.not(id(await ps(t), 'a'), id(first, 'a'));
  });

  test('a recreated dependency restarts the services that depend on it with restart: true', async () => {
    const compose = (value: string) =>
      [
        'services:',
        '  db:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        `    environment: { VERSION: "${value}" }`,
        '  app:',
        '    image: busybox',
        '    command: ["sh", "-c", "echo started; exec sleep 1000"]',
        '    depends_on:',
        '      db: { condition: service_started, restart: true }',
        '  other:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    depends_on: [db]',
        '',
      ].join('\n');
    const t = await stack(compose('1'));
    await t.ok(['up', '-d']);
    t.compose(compose('2'));
    const again = await t.cli(['up', '-d']);
    assert.is(again.code, 0, again.stderr);
    assert.match(again.stderr, /db-1 {2}Recreate/);
    assert.match(again.stderr, /app-1 {2}Restarting/);
    assert.match(again.stderr, /other-1 {2}Running/);
    const logs = await t.ok(['logs', '--no-log-prefix', 'app']);
    assert.is(logs.match(/^started$/gm)?.length, 2, 'app ran twice');
  });

  test('service_healthy and service_completed_successfully order the start', async () => {
    const t = await stack(
      [
        'services:',
        '  db:',
        '    image: busybox',
        '    command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 1000"]',
        '    healthcheck:',
        '      test: ["CMD", "test", "-f", "/tmp/ready"]',
        '      interval: 200ms',
        '      start_interval: 100ms',
        '      start_period: 5s',
        '      retries: 3',
        '  migrate:',
        '    image: busybox',
        '    command: ["sh", "-c", "echo migrated"]',
        '    depends_on:',
        '      db: { condition: service_healthy }',
        '  web:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    depends_on:',
        '      migrate: { condition: service_completed_successfully }',
        '',
      ].join('\n'),
    );
    const result = await t.cli(['up', '-d']);
    assert.is(result.code, 0, result.stderr);
    const order = result.stderr
      .split('\n')
      .filter((line) => / {2}(Started|Healthy|Exited)$/.test(line))
      .map((line) => line.trim().split(/\s+/)[1]!.replace(`${t.project}-`, ''));
    assert.ok(order.indexOf('db-1') < order.indexOf('migrate-1'), order.join(' '));
    assert.ok(order.indexOf('migrate-1') < order.lastIndexOf('web-1'), order.join(' '));
    const rows = await ps(t, '-a');
    const state = (service: string) => rows.find((r) => r.Service === service)!;
    assert.is(state('migrate').State, 'exited');
    assert.is(state('migrate').ExitCode, 0);
    assert.is(state('db').Health, 'healthy');
    assert.is(state('web').State, 'running');
  });

  test('a one-shot dependency that fails stops the dependent from starting', async () => {
    const t = await stack(
      [
        'services:',
        '  setup:',
        '    image: busybox',
        '    command: ["sh", "-c", "exit 3"]',
        '  app:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    depends_on:',
        '      setup: { condition: service_completed_successfully }',
        '',
      ].join('\n'),
    );
    const result = await t.cli(['up', '-d']);
    assert.is(result.code, 1);
    assert.match(result.stderr, `service "setup" didn't complete successfully: exit 3`);
    assert.equal(
      (await ps(t, '-a')).map((r) => r.Service),
      ['setup'],
    );
  });

  test('cgroup limits are visible inside and enforced: pids_limit stops a fork loop', async () => {
    const t = await stack(
      [
        'services:',
        '  limited:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    mem_limit: 64m',
        '    cpus: 0.5',
        '    pids_limit: 12',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    const memory = await execOut(t, 'limited', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes');
    assert.is(Number(memory), 64 * 1024 * 1024);
    const quota = await execOut(t, 'limited', 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us');
    assert.is(Number(quota), 50_000);
    // The shell forks until the kernel refuses; the sleeps it made hold the pids.
    const forks = await t.cli([
      'exec',
      '-T',
      'limited',
      'sh',
      '-c',
      'for i in $(seq 30); do sleep 100 & done',
    ]);
    assert.is.not(forks.code, 0);
    assert.match(forks.stderr, /can't fork/);
    const id = (await ps(t))[0]!.ID;
    const group = `/sys/fs/cgroup/pids/tscompose/${t.project}/${id}`;
    assert.is(readFileSync(`${group}/pids.max`, 'utf8').trim(), '12');
    assert.ok(Number(readFileSync(`${group}/pids.current`, 'utf8')) <= 12);
  });

  test('a memory hog is OOM-killed and reported as such', async () => {
    const t = await stack(
      [
        'services:',
        '  hog:',
        '    image: busybox',
        // A shell variable that grows past the limit: the kernel's OOM killer ends it.
        '    command: ["sh", "-c", "x=$(head -c 200000000 /dev/zero | tr \'\\\\0\' a); echo survived"]',
        '    mem_limit: 32m',
        '    memswap_limit: 32m',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    await t.ok(['wait', 'hog']).catch(() => undefined);
    const rows = await ps(t, '-a');
    assert.is(rows[0]!.State, 'exited');
    assert.is(rows[0]!.ExitCode, 137);
    const logs = await t.ok(['logs', 'hog']);
    assert.not.match(logs, /survived/);
    const db = new Database(path.join(t.root, 'state.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT oom_killed FROM containers').get() as { oom_killed: number };
      assert.is(row.oom_killed, 1, 'recorded as OOM-killed');
      const actions = db
        .prepare("SELECT action FROM events WHERE type = 'container' ORDER BY id")
        .all()
        .map((r) => (r as { action: string }).action);
      assert.ok(actions.includes('oom'), actions.join(' '));
    } finally {
      db.close();
    }
  });

  test('user, read_only and a command not in the image', async () => {
    const t = await stack(
      [
        'services:',
        '  locked:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    user: nobody',
        '    read_only: true',
        '  missing:',
        '    image: busybox',
        '    command: ["no-such-command"]',
        '    profiles: [broken]',
        '  stranger:',
        '    image: busybox',
        '    user: nosuchuser',
        '    profiles: [stranger]',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    assert.is(await execOut(t, 'locked', 'id -u'), '65534');
    assert.match(
      await execOut(t, 'locked', 'touch /x 2>&1; echo $?'),
      /Read-only file system[\s\S]*1$/,
    );

    const missing = await t.cli(['--profile', 'broken', 'up', '-d', 'missing']);
    assert.is(missing.code, 1);
    assert.match(missing.stderr, /no-such-command/);
    assert.match(missing.stderr, /not found/);
    const row = (await ps(t, '-a')).find((r) => r.Service === 'missing')!;
    assert.is(row.ExitCode, 127);

    const stranger = await t.cli(['--profile', 'stranger', 'up', '-d', 'stranger']);
    assert.is(stranger.code, 4, stranger.stderr);
    assert.match(stranger.stderr, /nosuchuser/);
  });

  test('stop ignores nothing: a PID 1 without a SIGTERM handler stops at once', async () => {
    const t = await stack(
      [
        'services:',
        '  stubborn:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    stop_grace_period: 30s',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    const started = Date.now();
    await t.ok(['stop']);
    // Not a timing assertion of speed: only that the 30 s grace period was not waited out.
    assert.ok(Date.now() - started < 25_000, 'the grace period was skipped');
    const rows = await ps(t, '-a');
    assert.is(rows[0]!.State, 'exited');
    assert.is(rows[0]!.ExitCode, 137);
    await t.ok(['start']);
    assert.is((await ps(t))[0]!.State, 'running');
  });
});

whenMet(test, containersRequirement, () => {
  test('a named volume is filled from the image, survives down and up, and goes with -v', async () => {
    const t = await stack(
      [
        'services:',
        '  db:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    volumes:',
        '      - data:/data',
        '      - etc:/etc',
        'volumes:',
        '  data:',
        '  etc:',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    await execOut(t, 'db', 'echo kept > /data/file');
    assert.match(await execOut(t, 'db', 'cat /etc/passwd'), /^root:x:0:0:/, 'copied up');
    const etc = path.join(t.root, 'volumes', `${t.project}_etc`, '_data', 'passwd');
    assert.ok(existsSync(etc), 'the image content is in the volume');

    await t.ok(['down', '-t', '0']);
    await t.ok(['up', '-d']);
    assert.is(await execOut(t, 'db', 'cat /data/file'), 'kept');

    const down = await t.cli(['down', '-v', '-t', '0']);
    assert.is(down.code, 0, down.stderr);
    assert.match(down.stderr, `Volume ${t.project}_data  Removed`);
    assert.not.ok(existsSync(path.join(t.root, 'volumes', `${t.project}_data`)));
  });
});

test.run();
