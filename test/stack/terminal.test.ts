// `tty` and `stdin_open` on a service: a terminal whose output conmon logs, and a standard
// input kept open, so that a shell waits for input instead of ending at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { whenMet } from '../helpers/requirements.js';
import { containersRequirement, stacksFor } from '../helpers/stack.js';

const stack = stacksFor(test);

whenMet(test, containersRequirement, () => {
  test('tty gives a terminal and TERM; stdin_open keeps a reading shell waiting', async () => {
    const t = await stack(
      [
        'services:',
        '  shell:',
        '    image: busybox',
        '    command: sh',
        '    tty: true',
        '    stdin_open: true',
        '  reader:',
        '    image: busybox',
        '    command: ["sh", "-c", "read line; echo read returned"]',
        '    stdin_open: true',
        '  closed:',
        '    image: busybox',
        '    command: ["sh", "-c", "read line; echo read returned"]',
        '  term:',
        '    image: busybox',
        '    command: ["sh", "-c", "tty; echo TERM=$$TERM; exec sleep 1000"]',
        '    tty: true',
        '',
      ].join('\n'),
    );
    const up = await t.cli(['up', '-d']);
    assert.is(up.code, 0, up.stderr);
    assert.not.match(up.stderr, /tty|stdin_open/, 'no warning that they are not applied');
    await t.ok(['wait', 'closed']);
    // Long enough for a shell that would end to have ended.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const ps = (await t.ok(['ps', '-a', '--format', 'json']))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { Service: string; State: string });
    const states = Object.fromEntries(ps.map((row) => [row.Service, row.State]));
    assert.equal(states, {
      closed: 'exited',
      reader: 'running',
      shell: 'running',
      term: 'running',
    });
    assert.match(await t.ok(['logs', '--no-log-prefix', 'closed']), 'read returned');
    const term = await t.ok(['logs', '--no-log-prefix', 'term']);
    assert.match(term, /^\/dev\/pts\/\d+\r?\nTERM=xterm\r?\n$/);
    assert.match(await t.ok(['logs', '--no-log-prefix', 'shell']), '/ # ');
    assert.is(await t.ok(['exec', '-T', 'shell', 'echo', 'still here']), 'still here\n');
  });
});

test.run();
