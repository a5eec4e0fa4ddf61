// Stack networks: services reach each other by name on a shared network and cannot across
// separate ones; aliases and links; internal networks; names kept current in /etc/hosts and served
// by the keeper's DNS. Traffic goes only between namespaces the test's stack made.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commandRuns, allOf, whenMet } from '../helpers/requirements.js';
import { containersRequirement, stacksFor, type TestStack } from '../helpers/stack.js';

const stack = stacksFor(test);
const requirement = allOf(
  containersRequirement,
  commandRuns('ip', ['-V'], 'stack networks are made with iproute2'),
);

const sh = (t: TestStack, service: string, script: string) =>
  t.cli(['exec', '-T', service, 'sh', '-c', script]);

whenMet(test, requirement, () => {
  test('services on one network reach each other by name and alias; not across networks', async () => {
    const t = await stack(
      [
        'services:',
        '  api:',
        '    image: busybox',
        '    command: ["sh", "-c", "mkdir -p /www && echo pong > /www/ping && exec httpd -f -p 8080 -h /www"]',
        '    networks:',
        '      back: { aliases: [backend] }',
        '  web:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    networks: [back, front]',
        '    links: ["api:database"]',
        '  outsider:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    networks: [front]',
        'networks:',
        '  back:',
        '  front:',
        '',
      ].join('\n'),
    );
    const up = await t.cli(['up', '-d']);
    assert.is(up.code, 0, up.stderr);

    // busybox wget's own -T timeout crashes Debian's static build: leave it out.
    const byName = await sh(t, 'web', 'wget -q -O - http://api:8080/ping');
    assert.is(byName.stdout, 'pong\n', byName.stderr);
    const byAlias = await sh(t, 'web', 'wget -q -O - http://backend:8080/ping');
    assert.is(byAlias.stdout, 'pong\n', byAlias.stderr);
    const byLink = await sh(t, 'web', 'wget -q -O - http://database:8080/ping');
    assert.is(byLink.stdout, 'pong\n', byLink.stderr);
    const dns = await sh(t, 'web', 'nslookup api');
    assert.match(dns.stdout, /Address: 10\.\d+\.\d+\.\d+/, dns.stdout + dns.stderr);

    const across = await sh(t, 'outsider', 'wget -q -O - http://api:8080/ping');
    assert.is.not(across.code, 0, 'api is not on front: outsider cannot resolve or reach it');
    const hosts = await sh(t, 'web', 'cat /etc/hosts');
    assert.match(hosts.stdout, /\tapi backend database/);
    assert.match(hosts.stdout, /\toutsider/);
    const outsiderHosts = await sh(t, 'outsider', 'cat /etc/hosts');
    assert.not.match(outsiderHosts.stdout, /\bapi\b|database/);

    const down = await t.cli(['down', '-t', '0']);
    assert.match(down.stderr, `Network ${t.project}_back  Removed`);
    assert.match(down.stderr, `Network ${t.project}_front  Removed`);
  });

  test('an internal network has no way out; a fixed address is kept', async () => {
    const t = await stack(
      [
        'services:',
        '  db:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    networks:',
        '      private: { ipv4_address: 10.231.7.10 }',
        '  app:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    networks: [private]',
        'networks:',
        '  private:',
        '    internal: true',
        '    ipam:',
        '      config: [{ subnet: 10.231.7.0/24 }]',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    const route = await sh(t, 'app', 'ip route');
    assert.not.match(route.stdout, /default/, 'no default route on an internal network');
    const ping = await sh(t, 'app', 'ping -c 1 -W 2 db');
    assert.is(ping.code, 0, ping.stdout + ping.stderr);
    assert.match(ping.stdout, /10\.231\.7\.10/);
  });
});

whenMet(test, requirement, () => {
  test('an external network joins another project: names resolve both ways', async () => {
    const t = await stack(
      [
        'services:',
        '  db:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    networks: [shared]',
        'networks:',
        '  shared:',
        '    name: tscompose-test-shared',
        '',
      ].join('\n'),
    );
    await t.ok(['up', '-d']);
    const other = path.join(t.dir, 'other');
    mkdirSync(other);
    writeFileSync(
      path.join(other, 'compose.yaml'),
      [
        'services:',
        '  client:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    networks: [shared]',
        'networks:',
        '  shared:',
        '    name: tscompose-test-shared',
        '    external: true',
        '',
      ].join('\n'),
    );
    const second = [
      '-p',
      `${t.project}b`,
      '--project-directory',
      other,
      '-f',
      path.join(other, 'compose.yaml'),
    ];
    const up = await t.cli([...second, 'up', '-d']);
    assert.is(up.code, 0, up.stderr);
    try {
      const ping = await t.cli([
        ...second,
        'exec',
        '-T',
        'client',
        'ping',
        '-c',
        '1',
        '-W',
        '2',
        'db',
      ]);
      assert.is(ping.code, 0, ping.stdout + ping.stderr);
      // The first project's keeper learns of client on its next look (every 500 ms).
      let back = await t.cli(['exec', '-T', 'db', 'ping', '-c', '1', '-W', '2', 'client']);
      for (let i = 0; i < 20 && back.code !== 0; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        back = await t.cli(['exec', '-T', 'db', 'ping', '-c', '1', '-W', '2', 'client']);
      }
      assert.is(back.code, 0, back.stdout + back.stderr);
    } finally {
      await t.cli([...second, 'down', '-t', '0']);
    }
    const missing = await t.cli([...second, 'up', '-d']);
    assert.is(missing.code, 0, 'the network still exists: the first project owns it');
    await t.cli([...second, 'down', '-t', '0']);
  });
});

test.run();
