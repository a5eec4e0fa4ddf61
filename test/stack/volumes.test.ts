// `volume ls|inspect|rm|prune` over the volumes a stack made.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
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

whenMet(test, containersRequirement, () => {
  test('local driver_opts: a bind of a host directory and a sized tmpfs', async () => {
    const t = await stack('services: {}\n');
    const hostdir = path.join(t.dir, 'hostdata');
    mkdirSync(hostdir);
    t.compose(
      [
        'services:',
        '  app:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    volumes: ["shared:/shared", "scratch:/scratch"]',
        'volumes:',
        '  shared:',
        `    driver_opts: { type: none, o: bind, device: ${hostdir} }`,
        '  scratch:',
        '    driver_opts: { type: tmpfs, device: tmpfs, o: size=1m }',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    await t.ok(['exec', '-T', 'app', 'sh', '-c', 'echo hi > /shared/file']);
    assert.is(readFileSync(path.join(hostdir, 'file'), 'utf8'), 'hi\n');
    const df = await t.ok(['exec', '-T', 'app', 'sh', '-c', 'df -k /scratch | tail -1']);
    assert.match(df, /^tmpfs\s+1024\s/);
  });
});

test.run();
