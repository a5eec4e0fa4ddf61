// The runtime driver against real runc, conmon and busybox: logs and exit codes, a
// container that outlives its launcher's handles, signals to a PID 1 without handlers,
// a command missing from the image, exec with and without a timeout, and pause.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RuntimeBinary } from '../../src/engine/runtime/choose.js';
import { ContainerCreateError } from '../../src/engine/runtime/create-error.js';
import {
  createContainer,
  launchContainer,
  type ConmonLaunch,
} from '../../src/engine/runtime/conmon.js';
import { isAlive, readExit, waitForExit } from '../../src/engine/runtime/exit.js';
import { followLogs, readLogs, type LogLine } from '../../src/engine/runtime/logs.js';
import { OciRuntime } from '../../src/engine/runtime/runc.js';
import { signalDisposition } from '../../src/engine/runtime/signals.js';
import { RuntimeError } from '../../src/errors.js';
import { busyboxImage, makeBundle, type BusyboxImage, type TestBundle } from '../helpers/bundle.js';
import { allOf, commandRuns, runningAsRoot, whenMet } from '../helpers/requirements.js';

const requirement = allOf(
  runningAsRoot('runc creates namespaces, cgroups and mounts'),
  commandRuns('runc', ['--version'], 'the OCI runtime (apt-get install runc)'),
  commandRuns('conmon', ['--version'], 'the container monitor (apt-get install conmon)'),
  commandRuns('busybox', ['true'], 'the test image is made from busybox-static'),
);

const RUNC: RuntimeBinary = { name: 'runc', path: '/usr/sbin/runc' };
/** Bounds every wait, so that a broken driver fails the test instead of hanging it. */
const WAIT_MS = 10_000;
const RFC3339_NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d)$/;

whenMet(test, requirement, () => {
  let image: BusyboxImage;
  let bundles: TestBundle[] = [];
  test.before(async () => {
    image = await busyboxImage();
  });
  test.after(() => image?.dispose());
  test.after.each(async () => {
    for (const bundle of bundles) await bundle.dispose();
    bundles = [];
  });

  async function bundleOf(args: string[]) {
    const bundle = await makeBundle(image, { args });
    bundles.push(bundle);
    const launch: ConmonLaunch = { ...bundle, name: `test-${bundle.id}`, runtime: RUNC };
    return { bundle, launch, runtime: new OciRuntime(RUNC, bundle.runtimeRoot) };
  }

  const exitOf = (bundle: TestBundle) =>
    waitForExit(bundle.exitDir, bundle.persistDir, bundle.id, {
      signal: AbortSignal.timeout(WAIT_MS),
      pollMs: 50,
    });

  test('stdout and stderr reach the log with timestamps; the exit code is recorded', async () => {
    const { bundle, launch, runtime } = await bundleOf([
      'sh',
      '-c',
      'echo to-stdout; echo to-stderr >&2; exit 3',
    ]);
    const { pid, conmonPid } = await launchContainer(launch, runtime);
    assert.ok(pid > 1 && conmonPid > 1);

    const exit = await exitOf(bundle);
    assert.is(exit.exitCode, 3);
    assert.is(exit.oomKilled, false);
    assert.equal(readExit(bundle.exitDir, bundle.persistDir, bundle.id), exit);
    const lines = await readLogs(bundle.logPath);
    const streams = lines.map(({ stream, text }) => `${stream}:${text}`).sort();
    assert.equal(streams, ['stderr:to-stderr', 'stdout:to-stdout']);
    for (const line of lines) assert.match(line.time, RFC3339_NANO);
    assert.is((await runtime.state(bundle.id))?.status, 'stopped');
  });

  test('a long-running container: conmon is detached, and a PID 1 without handlers ignores SIGTERM', async () => {
    // busybox sh stays PID 1 (a command followed by another is not exec'd), with no traps.
    const { bundle, launch, runtime } = await bundleOf(['sh', '-c', 'sleep 1000; exit 0']);
    // Other tests in this process may still be letting go of their children: compare only
    // once the event loop's resources have stopped changing.
    const before = await settledResources();
    const { pid, conmonPid } = await launchContainer(launch, runtime);
    // Nothing of conmon keeps this process's event loop alive, and conmon is not its child.
    assert.equal(await settledResources(), before);
    assert.ok(isAlive(conmonPid), 'conmon runs');
    assert.is.not(parentOf(conmonPid), process.pid);
    assert.is(parentOf(pid), conmonPid, 'conmon is the container’s parent');

    const state = await runtime.state(bundle.id);
    assert.equal(state, { id: bundle.id, pid, status: 'running', bundle: bundle.bundle });
    await until(async () => (await runtime.ps(bundle.id)).length === 2, 'sh has started sleep');
    assert.ok((await runtime.ps(bundle.id)).includes(pid));
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^sh\0-c\0/);

    assert.is(signalDisposition(pid, 15), 'default');
    await runtime.kill(bundle.id, 'SIGTERM');
    // The kernel dropped it: nothing is recorded within a generous moment, and it still runs.
    const stillRunning = await waitForExit(bundle.exitDir, bundle.persistDir, bundle.id, {
      signal: AbortSignal.timeout(300),
      pollMs: 20,
    }).then(
      () => false,
      () => true,
    );
    assert.ok(stillRunning, 'SIGTERM did not stop it');
    assert.is((await runtime.state(bundle.id))?.status, 'running');

    await runtime.kill(bundle.id, 'KILL', { all: true });
    assert.is((await exitOf(bundle)).exitCode, 137);
    assert.is((await runtime.state(bundle.id))?.status, 'stopped');
    // Killing or deleting what has stopped, or is gone, is not an error.
    await runtime.kill(bundle.id, 'KILL');
    await runtime.delete(bundle.id);
    await runtime.delete(bundle.id);
    assert.is(await runtime.state(bundle.id), undefined);
  });

  test('a command that is not in the image: the launch fails and names it', async () => {
    const { bundle, launch, runtime } = await bundleOf(['no-such-command', '--flag']);
    const error = await launchContainer(launch, runtime).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    assert.instance(error, RuntimeError);
    assert.instance(error, ContainerCreateError);
    const failure = error as ContainerCreateError;
    assert.is(failure.message, 'the command "no-such-command" was not found in the image');
    assert.is(failure.exitCode, 127);
    assert.match(failure.runtimeMessage, 'executable file not found in $PATH');
    assert.is(await runtime.state(bundle.id), undefined);
    const conmonPid = Number(readFileSync(bundle.conmonPidFile, 'utf8'));
    await until(() => !isAlive(conmonPid), 'conmon exits after a failed create');
  });

  test('exec captures output and exit codes, with the container’s environment', async () => {
    const { bundle, launch, runtime } = await bundleOf(['sleep', '1000']);
    await launchContainer(launch, runtime);

    const hi = await runtime.exec(bundle.id, { args: ['echo', 'hi'] });
    assert.equal(hi, { exitCode: 0, stdout: 'hi\n', stderr: '', timedOut: false });
    const script = 'echo "$PATH"; echo oops >&2; exit 4';
    const failing = await runtime.exec(bundle.id, { args: ['sh', '-c', script] });
    assert.equal(failing, {
      exitCode: 4,
      stdout: '/usr/sbin:/usr/bin:/sbin:/bin\n',
      stderr: 'oops\n',
      timedOut: false,
    });
    const own = await runtime.exec(bundle.id, {
      args: ['sh', '-c', 'echo "$A $(pwd) $(id -u)"'],
      env: ['A=b', 'PATH=/bin'],
      cwd: '/tmp',
      user: { uid: 65534, gid: 65534 },
    });
    assert.is(own.stdout, 'b /tmp 65534\n');
  });

  test('exec with a timeout kills the probe by its host pid', async () => {
    const { bundle, launch, runtime } = await bundleOf(['sleep', '1000']);
    const { pid } = await launchContainer(launch, runtime);

    const probe = runtime.exec(bundle.id, { args: ['sleep', '100'] }, { timeoutMs: 1000 });
    let probePid: number | undefined;
    await until(async () => {
      probePid = (await runtime.ps(bundle.id)).find((p) => p !== pid);
      return probePid !== undefined;
    }, 'the probe runs');
    const result = await probe;
    assert.is(result.timedOut, true);
    assert.is(result.exitCode, 137);
    assert.not.ok(isAlive(probePid!), 'the probe is gone');
    assert.equal(await runtime.ps(bundle.id), [pid]);
    assert.is((await runtime.state(bundle.id))?.status, 'running');
  });

  test('followLogs yields lines as the container writes them, from before the file exists', async () => {
    const { bundle, launch, runtime } = await bundleOf([
      'sh',
      '-c',
      'i=0; while :; do echo "line $i"; i=$((i+1)); sleep 0.1; done',
    ]);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), WAIT_MS);
    const seen: LogLine[] = [];
    const following = (async () => {
      for await (const line of followLogs(bundle.logPath, { signal: controller.signal })) {
        seen.push(line);
        if (seen.length === 3) controller.abort();
      }
    })();
    await launchContainer(launch, runtime);
    await following;
    clearTimeout(timer);
    assert.equal(
      seen.map((line) => `${line.stream}:${line.text}`),
      ['stdout:line 0', 'stdout:line 1', 'stdout:line 2'],
    );
  });

  test('create without start, then start, pause and resume', async () => {
    const { bundle, launch, runtime } = await bundleOf(['sleep', '1000']);
    const { pid } = await createContainer(launch);
    assert.equal(await runtime.state(bundle.id), {
      id: bundle.id,
      pid,
      status: 'created',
      bundle: bundle.bundle,
    });
    await runtime.start(bundle.id);
    assert.is((await runtime.state(bundle.id))?.status, 'running');
    await runtime.pause(bundle.id);
    assert.is((await runtime.state(bundle.id))?.status, 'paused');
    await runtime.resume(bundle.id);
    assert.is((await runtime.state(bundle.id))?.status, 'running');
    await runtime.delete(bundle.id, { force: true });
    assert.is(await runtime.state(bundle.id), undefined);
    assert.is((await exitOf(bundle)).exitCode, 137);
  });
});

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** Polls `check` until it holds; fails after WAIT_MS with `what`. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The active resources once they have not changed for 100 ms (3 s at most). */
async function settledResources(): Promise<string[]> {
  const deadline = Date.now() + 3000;
  let last = process.getActiveResourcesInfo().sort().join(',');
  let stableSince = Date.now();
  while (Date.now() - stableSince < 100 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = process.getActiveResourcesInfo().sort().join(',');
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    }
  }
  // The poll's own timer is one of them while it waits; it is gone by the time of return.
  return process.getActiveResourcesInfo().sort();
}

test.run();
