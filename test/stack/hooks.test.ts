// Lifecycle hooks: post_start runs in the container once it started (its failure fails
// up), pre_stop before it is stopped (its failure is only said), as Docker Compose runs
// them.
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { whenMet } from '../helpers/requirements.js';
import { containersRequirement, stacksFor } from '../helpers/stack.js';

const stack = stacksFor(test);

whenMet(test, containersRequirement, () => {
  test('post_start with user, working_dir and environment; pre_stop on down', async () => {
    const t = await stack('services: {}\n');
    const out = path.join(t.dir, 'out');
    mkdirSync(out, { mode: 0o777 });
    chmodSync(out, 0o777);
    t.compose(
      [
        'services:',
        '  app:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        `    volumes: ["${out}:/out"]`,
        '    post_start:',
        '      - command: ["sh", "-c", "echo $$(id -u) $$(pwd) $$GREETING > /out/started"]',
        '        user: nobody',
        '        working_dir: /tmp',
        '        environment: { GREETING: hello }',
        '    pre_stop:',
        '      - command: ["sh", "-c", "echo bye > /out/stopping"]',
        '',
      ].join('\n'),
    );
    const up = await t.cli(['up', '-d']);
    assert.is(up.code, 0, up.stderr);
    assert.not.match(up.stderr, /post_start|pre_stop/, 'no warning that they are not run');
    assert.is(readFileSync(path.join(out, 'started'), 'utf8'), '65534 /tmp hello\n');
    await t.ok(['down', '-t', '0']);
    assert.is(readFileSync(path.join(out, 'stopping'), 'utf8'), 'bye\n');
  });

  test('a failing post_start fails up, naming the hook and with its output', async () => {
    const t = await stack(
      [
        'services:',
        '  app:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    post_start:',
        '      - command: ["sh", "-c", "echo no database >&2; exit 3"]',
        '    pre_stop:',
        '      - command: ["false"]',
        '',
      ].join('\n'),
    );
    const up = await t.cli(['up', '-d']);
    assert.is(up.code, 1);
    assert.match(up.stderr, `the post_start hook of ${t.project}-app-1 exited with 3: no database`);
    const down = await t.cli(['down', '-t', '0']);
    assert.is(down.code, 0, down.stderr);
    assert.match(down.stderr, `the pre_stop hook of ${t.project}-app-1 failed (exit 1)`);
  });
});

test.run();
