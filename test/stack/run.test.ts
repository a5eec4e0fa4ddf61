// `run`: one-off containers of a service, with its dependencies started first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { whenMet } from '../helpers/requirements.js';
import { containersRequirement, stacksFor, type TestStack } from '../helpers/stack.js';

const stack = stacksFor(test);

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

test.run();
