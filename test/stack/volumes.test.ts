// `volume ls|inspect|rm|prune` over the volumes a stack made.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { whenMet } from '../helpers/requirements.js';
import { containersRequirement, stacksFor } from '../helpers/stack.js';

const stack = stacksFor(test);

whenMet(test, containersRequirement, () => {
  test('ls and inspect show the volumes; rm is refused while in use; prune -a takes the rest', async () => {
    const t = await stack(
      [
        'services:',
        '  db:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    volumes: ["data:/data", "/scratch"]',
        'volumes:',
        '  data:',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    const names = (await t.ok(['volume', 'ls', '-q'])).trim().split('\n').sort();
    assert.is(names.length, 2);
    assert.ok(names.includes(`${t.project}_data`), names.join(' '));
    assert.match(await t.ok(['volume', 'ls']), /^DRIVER\s+VOLUME NAME\nlocal\s+/);
    const [inspect] = JSON.parse(await t.ok(['volume', 'inspect', `${t.project}_data`]));
    assert.is(inspect.Driver, 'local');
    assert.match(inspect.Mountpoint, /\/volumes\/t[0-9a-f]+_data\/_data$/);
    assert.is(inspect.Labels['com.docker.compose.project'], t.project);

    const busy = await t.cli(['volume', 'rm', `${t.project}_data`]);
    assert.is(busy.code, 5);
    assert.match(busy.stderr, `volume ${t.project}_data is in use by ${t.project}-db-1`);
    const missing = await t.cli(['volume', 'inspect', 'nope']);
    assert.is(missing.code, 4);

    await t.ok(['down', '-t', '0']);
    const pruned = await t.ok(['volume', 'prune', '-a']);
    assert.match(pruned, `${t.project}_data`);
    assert.is(await t.ok(['volume', 'ls', '-q']), '');
  });
});

test.run();
