// What goes wrong, said clearly: a missing image, a name taken, runc or conmon missing,
// not being root. Each with its exit code, and nothing left behind.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commandRuns, whenMet, allOf } from '../helpers/requirements.js';
import { containersRequirement, stacksFor, type TestStack } from '../helpers/stack.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/tscompose.js');

const stack = stacksFor(test);

const ONE = 'services:\n  app:\n    image: busybox\n    command: ["sleep", "1000"]\n';

whenMet(test, containersRequirement, () => {
  test('an image that is not there names the service and how to get it (exit 4)', async () => {
    const t = await stack('services:\n  app:\n    image: nothing-here:1\n    pull_policy: never\n');
    const result = await t.cli(['up', '-d']);
    assert.is(result.code, 4, result.stderr);
    assert.match(
      result.stderr,
      'error: services.app.image: no such image: nothing-here:1 (for app)',
    );
    assert.match(result.stderr, /hint: pull it .*image bootstrap/);
  });

  test('a service to be built says that builds do not run yet (exit 6)', async () => {
    const t = await stack('services:\n  app:\n    build: .\n');
    const result = await t.cli(['up', '-d']);
    assert.is(result.code, 6, result.stderr);
    assert.match(result.stderr, /services\.app\.build: service app needs its image built/);
  });

  test('a container_name two projects want is a conflict (exit 5)', async () => {
    const t = await stack(
      'services:\n  app:\n    image: busybox\n    command: ["sleep", "1000"]\n    container_name: shared-name\n',
    );
    await t.ok(['up', '-d']);
    const other = await t.cli(['-p', `${t.project}x`, 'up', '-d']);
    assert.is(other.code, 5, other.stderr);
    assert.match(other.stderr, 'the container name "shared-name" is already in use by container');
    // The other project made its network before it met the conflict: it goes with its down.
    await t.ok(['-p', `${t.project}x`, 'down']);
  });

  test('runc or conmon missing says which package to install', async () => {
    const t = await stack(ONE);
    const noRuntime = await runWith(t, { TSCOMPOSE_RUNTIME: '/nonexistent/runc' }, ['up', '-d']);
    assert.is.not(noRuntime.status, 0);
    assert.match(noRuntime.stderr, /runc/);
    assert.match(noRuntime.stderr, /apt-get install runc/);
    const noConmon = await runWith(t, { TSCOMPOSE_CONMON: '/nonexistent/conmon' }, ['up', '-d']);
    assert.is(noConmon.status, 4, noConmon.stderr);
    assert.match(noConmon.stderr, /apt-get install conmon/);
  });
});

whenMet(
  test,
  allOf(
    containersRequirement,
    commandRuns('setpriv', ['--version'], 'runs the CLI as another user'),
  ),
  () => {
    test('not root: the engine says it needs root (exit 7)', async () => {
      const t = await stack(ONE);
      const result = spawnSync(
        'setpriv',
        // Still allowed to read the checkout, wherever it is (a mktemp -d is root's alone),
        // but not root: the engine's own check is what must stop it.
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          '--inh-caps=+dac_read_search',
          '--ambient-caps=+dac_read_search',
          process.execPath,
          BIN,
          'ps',
        ],
        { cwd: t.dir, env: { ...process.env, ...t.env }, encoding: 'utf8' },
      );
      assert.is(result.status, 7, result.stderr);
      assert.match(result.stderr, 'error: the integrated engine needs root');
    });
  },
);

function runWith(t: TestStack, env: Record<string, string>, args: string[]) {
  return spawnSync(process.execPath, [BIN, '-p', t.project, ...args], {
    cwd: t.dir,
    env: { ...process.env, ...t.env, ...env },
    encoding: 'utf8',
  });
}

test.run();
