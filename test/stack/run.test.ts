// `run`: one-off containers of a service, with its dependencies started first; in front of
// the caller with its stdin, and its terminal when it has one.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readLogs } from '../../src/engine/runtime/logs.js';
import { whenMet } from '../helpers/requirements.js';
import { containersRequirement, stacksFor, type TestStack } from '../helpers/stack.js';

const stack = stacksFor(test);
const BIN = path.resolve(import.meta.dirname, '../../bin/tscompose.js');

/** The built CLI as a separate process (as a user runs it), `input` on its stdin. */
function runBin(
  t: TestStack,
  command: string,
  args: string[],
  input: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: t.dir,
      env: { ...process.env, ...t.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const COMPOSE = [
  'services:',
  '  db:',
  '    image: busybox',
  '    command: ["sleep", "1000"]',
  '  tool:',
  '    image: busybox',
  '    command: ["echo", "default command"]',
  '    environment: { WHO: service }',
  '    depends_on: [db]',
  '',
].join('\n');

async function rows(t: TestStack) {
  const out = await t.ok(['ps', '-a', '--format', 'json']);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { Name: string; Service: string; State: string });
}

whenMet(test, containersRequirement, () => {
  test('run --rm prints the output, exits with the code, and leaves no container', async () => {
    const s = await stack(COMPOSE);
    const hello = await s.cli([
      'run',
      '--rm',
      '-e',
      'WHO=flag',
      'tool',
      'sh',
      '-c',
      'echo hi $WHO',
    ]);
    assert.is(hello.code, 0, hello.stderr);
    assert.is(hello.stdout, 'hi flag\n');
    const ping = await s.cli(['run', '--rm', 'tool', 'ping', '-c', '1', '-W', '2', 'db']);
    assert.is(ping.code, 0, `a one-off is on the service's networks: ${ping.stdout}${ping.stderr}`);
    const failing = await s.cli(['run', '--rm', 'tool', 'sh', '-c', 'exit 4']);
    assert.is(failing.code, 4);
    const left = await rows(s);
    assert.equal(
      left.map((r) => `${r.Service}:${r.State}`),
      ['db:running'],
      'the dependency was started; the one-offs are gone',
    );
  });

  test('a kept one-off is named as Docker Compose names it; up leaves it, down removes it', async () => {
    const s = await stack(COMPOSE);
    const run = await s.cli(['run', '--no-deps', 'tool']);
    assert.is(run.code, 0, run.stderr);
    assert.is(run.stdout, 'default command\n');
    const [oneOff] = await rows(s);
    assert.match(oneOff!.Name, new RegExp(`^${s.project}-tool-run-[0-9a-f]{12}$`));
    const up = await s.cli(['up', '-d']);
    assert.is(up.code, 0, up.stderr);
    assert.is((await rows(s)).length, 3, 'db, tool and the one-off');
    await s.ok(['down', '-t', '0']);
    assert.equal(await rows(s), []);
  });
});

whenMet(test, containersRequirement, () => {
  test('run reads its stdin; with a terminal the container gets one; logs keep its output', async () => {
    const s = await stack(COMPOSE);
    const piped = await runBin(
      s,
      process.execPath,
      [BIN, '-p', s.project, 'run', '--no-deps', '-T', 'tool', 'sh', '-c', 'cat; exit 3'],
      'from stdin\n',
    );
    assert.is(piped.stdout, 'from stdin\n', piped.stderr);
    assert.is(piped.code, 3);
    const [id] = readdirSync(path.join(s.root, 'containers'));
    const logged = await readLogs(path.join(s.root, 'containers', id!, 'ctr.log'));
    assert.equal(
      logged.map((line) => `${line.stream}: ${line.text}`),
      ['stdout: from stdin'],
      'the engine logged what it printed, as conmon would',
    );

    // util-linux's script gives the CLI a terminal, as a user's shell would.
    const line = [process.execPath, BIN, '-p', s.project, 'run', '--rm', '--no-deps', 'tool', 'sh'];
    const typed = await runBin(
      s,
      'script',
      ['-qec', line.map((word) => `'${word}'`).join(' '), '/dev/null'],
      'tty; echo typed $((6 * 7)); exit 7\n',
    );
    assert.match(typed.stdout, /\/dev\/pts\/\d+\r?\n/, typed.stdout + typed.stderr);
    assert.match(typed.stdout, /typed 42/);
    assert.is(typed.code, 7);

    const missing = await s.cli(['run', '--rm', '--no-deps', 'tool', 'no-such-command']);
    assert.is(missing.code, 1);
    assert.is(
      missing.stderr.trim().split('\n')[0],
      'error: the command "no-such-command" was not found in the image',
    );
  });
});

test.run();
