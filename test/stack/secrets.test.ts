// Secrets and configs as Docker Compose gives them outside Swarm: a file bound read-only,
// and values from the environment or the file itself written for the container, owned and
// moded as asked. The content of a given one is not kept in the engine's database.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { whenMet } from '../helpers/requirements.js';
import { containersRequirement, stacksFor } from '../helpers/stack.js';

const stack = stacksFor(test);

whenMet(test, containersRequirement, () => {
  test('a file secret, an environment secret with uid and mode, a content config at a path', async () => {
    const t = await stack('services: {}\n');
    writeFileSync(path.join(t.dir, 'db-password.txt'), 'hunter2\n');
    writeFileSync(path.join(t.dir, '.env'), 'API_TOKEN=tok-3f9a\n');
    t.compose(
      [
        'services:',
        '  app:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    secrets:',
        '      - db_password',
        '      - { source: api_token, target: token, uid: "65534", mode: 0400 }',
        '    configs:',
        '      - { source: app_conf, target: /etc/app/app.conf }',
        'secrets:',
        '  db_password: { file: ./db-password.txt }',
        '  api_token: { environment: API_TOKEN }',
        'configs:',
        '  app_conf:',
        '    content: |',
        '      listen = 8080',
        '      name = ${COMPOSE_PROJECT_NAME}',
        '',
      ].join('\n'),
    );
    const up = await t.cli(['up', '-d']);
    assert.is(up.code, 0, up.stderr);
    assert.not.match(up.stderr, /secrets|configs/, 'no warning that they are not applied');
    const sh = (script: string) =>
      t.ok(['exec', '-T', 'app', 'sh', '-c', script]).then((out) => out.trim());
    assert.is(await sh('cat /run/secrets/db_password'), 'hunter2');
    assert.is(await sh('cat /run/secrets/token'), 'tok-3f9a');
    assert.is(await sh('stat -c "%a %u" /run/secrets/token'), '400 65534');
    assert.is(await sh('cat /etc/app/app.conf'), `listen = 8080\nname = ${t.project}`);
    assert.match(
      await sh('(echo x > /run/secrets/db_password) 2>&1; echo $?'),
      /Read-only file system[\s\S]*1$/,
    );
    // The database and its write-ahead log, as bytes on disk.
    const files = readdirSync(t.root).filter((file) => file.startsWith('state.db'));
    assert.ok(files.includes('state.db'), files.join(' '));
    for (const file of files) {
      const bytes = readFileSync(path.join(t.root, file));
      assert.not.ok(bytes.includes('tok-3f9a'), `the secret is not in ${file}`);
      assert.not.ok(bytes.includes('hunter2'), `nor the file's content in ${file}`);
    }
  });
});

test.run();
