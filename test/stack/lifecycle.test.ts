// The rest of the container's life and settings: kill, pause, logs flags, exec flags,
// shared namespaces, init, capabilities, sysctls, ulimits, /dev/shm and tmpfs.
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { whenMet } from '../helpers/requirements.js';
import { containersRequirement, stacksFor, type TestStack } from '../helpers/stack.js';

const stack = stacksFor(test);

const sh = (t: TestStack, service: string, script: string) =>
  t.ok(['exec', '-T', service, 'sh', '-c', script]).then((out) => out.trim());

async function state(t: TestStack): Promise<Record<string, string>> {
  const out = await t.ok(['ps', '-a', '--format', 'json']);
  const rows = out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  return Object.fromEntries(rows.map((r) => [r.Service, `${r.State}:${r.ExitCode}`]));
}

whenMet(test, containersRequirement, () => {
  test('kill -s, pause and unpause', async () => {
    const t = await stack(
      [
        'services:',
        '  trap:',
        '    image: busybox',
        // A shell that handles SIGUSR1 by exiting 42.
        '    command: ["sh", "-c", "trap \'exit 42\' USR1; while true; do sleep 0.1; done"]',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    await t.ok(['pause']);
    assert.is((await state(t)).trap, 'paused:0');
    await t.ok(['unpause']);
    assert.is((await state(t)).trap, 'running:0');
    await t.ok(['kill', '-s', 'SIGUSR1']);
    await t.ok(['wait', 'trap']);
    assert.is((await state(t)).trap, 'exited:42');
  });

  test('logs: --tail, -t and --since; exec: -u, -w, -e', async () => {
    const t = await stack(
      [
        'services:',
        '  talk:',
        '    image: busybox',
        '    command: ["sh", "-c", "for i in 1 2 3 4 5; do echo line $$i; done; exec sleep 1000"]',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    let logs = '';
    const deadline = Date.now() + 10_000;
    while (!logs.includes('line 5') && Date.now() < deadline) {
      logs = await t.ok(['logs', '--no-log-prefix']);
    }
    assert.is(await t.ok(['logs', '--no-log-prefix', '--tail', '2']), 'line 4\nline 5\n');
    const stamped = await t.ok(['logs', '--no-log-prefix', '-n', '1', '-t']);
    assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) line 5\n$/);
    assert.is(await t.ok(['logs', '--since', '2999-01-01T00:00:00Z']), '');
    assert.is(await sh(t, 'talk', 'id -u; pwd; echo $X'), '0\n/');
    const flags = await t.ok([
      'exec',
      '-T',
      '-u',
      'nobody',
      '-w',
      '/tmp',
      '-e',
      'X=y',
      'talk',
      'sh',
      '-c',
      'id -u; pwd; echo $X',
    ]);
    assert.is(flags, '65534\n/tmp\ny\n');
  });

  test('ipc and pid of another service, init, capabilities, sysctls, ulimits, shm, tmpfs', async () => {
    const t = await stack(
      [
        'services:',
        '  base:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '  joined:',
        '    image: busybox',
        '    command: ["sleep", "1001"]',
        '    ipc: service:base',
        '    pid: service:base',
        '    network_mode: service:base',
        '    depends_on: [base]',
        '  tuned:',
        '    image: busybox',
        '    command: ["sleep", "1002"]',
        '    init: true',
        '    cap_drop: [CHOWN]',
        '    sysctls: { net.core.somaxconn: "1234" }',
        '    ulimits: { nofile: { soft: 512, hard: 1024 }, locks: -1 }',
        '    shm_size: 16m',
        '    tmpfs: ["/scratch:size=1m"]',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    const processes = await sh(t, 'joined', 'ps -o args | grep -c "^sleep 100[01]$"');
    assert.is(processes, '2', 'one pid namespace: both sleeps are visible');
    assert.is(
      await sh(t, 'joined', 'readlink /proc/1/ns/net'),
      await sh(t, 'base', 'readlink /proc/1/ns/net'),
    );
    assert.is(
      await sh(t, 'tuned', 'cat /proc/1/comm'),
      'docker-init',
      'the init is PID 1, mounted where Docker mounts its own',
    );
    assert.match(
      await sh(t, 'tuned', 'chown 65534 /tmp 2>&1; echo $?'),
      /Operation not permitted[\s\S]*1$/,
    );
    assert.is(await sh(t, 'tuned', 'cat /proc/sys/net/core/somaxconn'), '1234');
    // The service's own processes, not an exec'd shell: Debian's runc (Go 1.19) races the Go
    // runtime's raise of the soft NOFILE limit in `runc exec` (opencontainers/runc#4195).
    assert.match(
      await sh(
        t,
        'tuned',
        'for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = sleep ] && s=$p; done; grep -h "open files" /proc/1/limits $s/limits',
      ),
      /^Max open files\s+512\s+1024\s+files\s*\nMax open files\s+512\s+1024\s+files$/,
    );
    assert.match(await sh(t, 'tuned', 'df -k /dev/shm | tail -1'), /\s16384\s/);
    assert.match(await sh(t, 'tuned', 'df -k /scratch | tail -1'), /\s1024\s/);
  });
});

whenMet(test, containersRequirement, () => {
  test("Docker's hardening: masked and read-only /proc paths, read-only /sys, default caps", async () => {
    const t = await stack(
      'services:\n  plain:\n    image: busybox\n    command: ["sleep", "1000"]\n    security_opt: [no-new-privileges]\n',
    );
    await t.ok(['up', '-d']);
    // Masked as Docker masks them: whichever of these the host kernel has reads as empty.
    const masked = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug'];
    const present = masked.filter((file) => existsSync(file) && readFileSync(file).length > 0);
    assert.ok(present.length > 0, 'the host has one of the masked files, not empty');
    for (const file of present) {
      assert.is(await sh(t, 'plain', `cat ${file} | wc -c`), '0', `${file} is masked`);
    }
    assert.match(await sh(t, 'plain', 'echo 1 > /proc/sys/kernel/domainname 2>&1; echo $?'), /1$/);
    assert.match(
      await sh(t, 'plain', 'touch /sys/x 2>&1; echo $?'),
      /Read-only file system[\s\S]*1$/,
    );
    // Docker's 14 default capabilities: 0x00000000a80425fb.
    assert.match(await sh(t, 'plain', 'grep CapEff /proc/1/status'), /CapEff:\s+00000000a80425fb/);
    assert.match(await sh(t, 'plain', 'grep NoNewPrivs /proc/1/status'), /NoNewPrivs:\s+1/);
  });

  test('up -d --wait fails when a service never turns healthy, within --wait-timeout', async () => {
    const t = await stack(
      [
        'services:',
        '  sick:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    healthcheck:',
        '      test: ["CMD", "false"]',
        '      interval: 100ms',
        '      retries: 2',
        '  slow:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    healthcheck:',
        '      test: ["CMD", "false"]',
        '      interval: 100ms',
        '      start_period: 60s',
        '      start_interval: 100ms',
        '    profiles: [slow]',
        '',
      ].join('\n'),
    );
    const sick = await t.cli(['up', '-d', '--wait']);
    assert.is(sick.code, 1);
    assert.match(sick.stderr, /container \S+-sick-1 is unhealthy/);
    const slow = await t.cli([
      '--profile',
      'slow',
      'up',
      '-d',
      '--wait',
      '--wait-timeout',
      '1',
      'slow',
    ]);
    assert.is(slow.code, 1);
    assert.match(slow.stderr, 'the services were not ready within 1s');
  });
});

test.run();
