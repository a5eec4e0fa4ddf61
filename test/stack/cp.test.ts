// `cp` both ways: into the root file system and into a volume, out of a stopped
// container, and never out of the container through one of its symlinks.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { whenMet } from '../helpers/requirements.js';
import { containersRequirement, stacksFor } from '../helpers/stack.js';

const stack = stacksFor(test);

whenMet(test, containersRequirement, () => {
  test('cp in and out, through volumes, of stopped containers, and safe from symlinks', async () => {
    const t = await stack(
      [
        'services:',
        '  box:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    volumes: ["data:/data"]',
        'volumes:',
        '  data:',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    const file = path.join(t.dir, 'note.txt');
    writeFileSync(file, 'from the host\n');
    await t.ok(['cp', file, 'box:/tmp/note.txt']);
    await t.ok(['cp', 'note.txt', 'box:/data/note.txt']);
    const inside = await t.ok(['exec', '-T', 'box', 'cat', '/tmp/note.txt', '/data/note.txt']);
    assert.is(inside, 'from the host\nfrom the host\n');

    await t.ok(['cp', 'box:/etc/passwd', 'passwd.copy']);
    assert.match(readFileSync(path.join(t.dir, 'passwd.copy'), 'utf8'), /^root:x:0:0:/);

    // A link that would lead to the host's /etc leads to the container's own.
    const name = `tscompose-cp-${randomBytes(4).toString('hex')}`;
    await t.ok(['exec', '-T', 'box', 'ln', '-s', '/etc', '/tmp/etc-link']);
    await t.ok(['cp', file, `box:/tmp/etc-link/${name}`]);
    assert.not.ok(existsSync(`/etc/${name}`), 'nothing was written to the host');
    assert.is(await t.ok(['exec', '-T', 'box', 'cat', `/etc/${name}`]), 'from the host\n');

    await t.ok(['stop', '-t', '0']);
    await t.ok(['cp', 'box:/tmp/note.txt', 'after-stop.txt']);
    assert.is(readFileSync(path.join(t.dir, 'after-stop.txt'), 'utf8'), 'from the host\n');
    const bad = await t.cli(['cp', 'box:/tmp/note.txt', 'box:/tmp/other']);
    assert.is(bad.code, 2);
  });
});

test.run();
