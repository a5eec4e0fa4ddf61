// Stack networks: services reach each other by name on a shared network and cannot across
// separate ones; aliases and links; internal networks; IPv6 networks; names kept current in
// /etc/hosts and served by the keeper's DNS. Traffic goes only between namespaces the test's
// stack made.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commandRuns, allOf, whenMet, type Requirement } from '../helpers/requirements.js';
import { containersRequirement, stacksFor, type TestStack } from '../helpers/stack.js';
import { testEngine } from '../helpers/engine.js';
import { NetworkManager, noFirewall, type CommandRunner } from '../../src/engine/network/index.js';
import type { Project } from '../../src/planner/model.js';
import { ensureNetwork } from '../../src/stack/networks.js';
import { UnsupportedError, formatError } from '../../src/errors.js';

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
    // web's resolver is on back, its first network; outsider is on front only.
    const second = await sh(t, 'web', 'nslookup outsider');
    assert.match(second.stdout, /Name:\s+outsider\s+Address: 10\./, second.stdout + second.stderr);
    const notMine = await sh(t, 'outsider', 'nslookup api');
    assert.not.match(notMine.stdout, /Name:\s+api/, 'outsider is not on back');

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

const ipv6Requirement = allOf(
  requirement,
  commandRuns('cat', ['/proc/net/if_inet6'], 'the kernel has IPv6'),
  commandRuns('ip6tables', ['-V'], 'IPv6 networks are filtered with ip6tables'),
  ipv6Enabled(),
);

function ipv6Enabled(): Requirement {
  const disabled = run('cat', ['/proc/sys/net/ipv6/conf/all/disable_ipv6']).stdout.trim();
  return disabled === '0'
    ? { met: true, detail: 'IPv6 on' }
    : { met: false, reason: 'IPv6 is disabled on this host (net.ipv6.conf.all.disable_ipv6)' };
}

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return { ok: result.status === 0, stdout: result.stdout ?? '' };
}

/** ip6tables rules that name the engine's chains or bridges: none once the stack is down. */
function ipv6Rules(): string[] {
  return ['filter', 'nat'].flatMap((table) =>
    run('ip6tables', ['-w', '-t', table, '-S'])
      .stdout.split('\n')
      .filter((line) => /tsc-|TSCOMPOSE/.test(line)),
  );
}

const forwarding6 = () => run('sysctl', ['-n', 'net.ipv6.conf.all.forwarding']).stdout.trim();

test('a host without IPv6 refuses enable_ipv6 at networks.NAME.enable_ipv6, before any bridge', async () => {
  const state = testEngine('tscompose-stack-noipv6-');
  try {
    const calls: string[] = [];
    const noIpv6: CommandRunner = async (command, args) => {
      calls.push([command, ...args].join(' '));
      if (args[0] === '/proc/net/if_inet6') return '';
      if (args[0] === '/proc/sys/net/ipv6/conf/all/disable_ipv6') return '1\n';
      throw new Error(`nothing else is run: ${command} ${args.join(' ')}`);
    };
    const networks = new NetworkManager(state.engine, { run: noIpv6, firewall: noFirewall });
    const project: Project = {
      name: 'shop',
      workingDir: state.root,
      files: [],
      services: {},
      disabledServices: {},
      networks: { six: { name: 'shop_six', enable_ipv6: true } },
      volumes: {},
      secrets: {},
      configs: {},
      extensions: {},
      profiles: [],
      environment: {},
    };
    let failure: unknown;
    try {
      await ensureNetwork(networks, project, 'six', 'services.app.networks.six');
    } catch (err) {
      failure = err;
    }
    assert.instance(failure, UnsupportedError);
    assert.is(
      formatError(failure as UnsupportedError),
      [
        'networks.six.enable_ipv6: network six enables IPv6, but IPv6 is disabled on this host (net.ipv6.conf.all.disable_ipv6 = 1)',
        '  hint: turn IPv6 on (sysctl -w net.ipv6.conf.all.disable_ipv6=0), or set networks.six.enable_ipv6: false',
      ].join('\n'),
    );
    assert.equal(networks.list(), []);
    assert.ok(
      calls.every((call) => call.startsWith('cat ')),
      calls.join('\n'),
    );
  } finally {
    state.dispose();
  }
});

whenMet(test, ipv6Requirement, () => {
  test('enable_ipv6: services reach each other by name over IPv6; ipv6_address is kept', async () => {
    const forwardingBefore = forwarding6();
    const t = await stack(
      [
        'services:',
        '  api:',
        '    image: busybox',
        '    command: ["sh", "-c", "mkdir -p /www && echo pong > /www/ping && exec httpd -f -p 8080 -h /www"]',
        '    networks:',
        '      six: { ipv6_address: "fd00:7473:63aa::10" }',
        '  web:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    networks: [six, wide]',
        'networks:',
        '  six:',
        '    enable_ipv6: true',
        '    ipam:',
        '      config: [{ subnet: "fd00:7473:63aa::/64" }]',
        '  wide:',
        '    enable_ipv6: true',
        '',
      ].join('\n'),
    );
    const up = await t.cli(['up', '-d']);
    assert.is(up.code, 0, up.stderr);

    const addresses = await sh(t, 'api', 'ip -6 addr show dev eth0 scope global');
    assert.match(addresses.stdout, 'inet6 fd00:7473:63aa::10/64');
    // web's networks in Docker's order, by name: eth0 is six, eth1 is wide.
    const six = await sh(t, 'web', 'ip -6 addr show dev eth0 scope global');
    assert.match(six.stdout, 'inet6 fd00:7473:63aa::2/64', 'the first free address');
    const wide = await sh(t, 'web', 'ip -6 addr show dev eth1 scope global');
    assert.match(wide.stdout, /inet6 fd00:7473:6373:[0-9a-f:]+\/64/, 'a /64 of the pool');
    const route = await sh(t, 'web', 'ip -6 route show default');
    assert.match(route.stdout, /^default via fd00:7473:63aa::1 dev eth0/m, route.stdout);

    const http = await sh(t, 'web', 'wget -q -O - "http://[fd00:7473:63aa::10]:8080/ping"');
    assert.is(http.stdout, 'pong\n', http.stderr);
    const ping = await sh(t, 'web', 'ping -6 -c 1 -W 2 api');
    assert.is(ping.code, 0, ping.stdout + ping.stderr);
    assert.match(ping.stdout, 'fd00:7473:63aa::10');
    const hosts = await sh(t, 'web', 'cat /etc/hosts');
    assert.match(hosts.stdout, /^fd00:7473:63aa::10\tapi /m);
    assert.match(hosts.stdout, /^10\.\d+\.\d+\.\d+\tapi /m, 'the IPv4 address stays');
    const dns = await sh(t, 'web', 'nslookup -type=AAAA api');
    assert.match(dns.stdout, /Address: fd00:7473:63aa::10/, dns.stdout + dns.stderr);
    const a = await sh(t, 'web', 'nslookup -type=A api');
    assert.match(a.stdout, /Address: 10\.\d+\.\d+\.\d+/, a.stdout + a.stderr);

    assert.ok(ipv6Rules().length > 0, 'the bridges have ip6tables rules while up');
    const down = await t.cli(['down', '-t', '0']);
    assert.is(down.code, 0, down.stderr);
    assert.match(down.stderr, `Network ${t.project}_six  Removed`);
    assert.equal(ipv6Rules(), [], 'no ip6tables rule is left');
    const links = run('ip', ['-o', '-d', 'link', 'show']).stdout;
    assert.not.match(links, `tscompose:${t.project}:`, 'no bridge or veth of the project is left');
    assert.is(forwarding6(), forwardingBefore, 'IPv6 forwarding is as it was before up');
  });

  test('an IPv6 subnet or ipv6_address without enable_ipv6 is refused, naming the key', async () => {
    const t = await stack(
      [
        'services:',
        '  app:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    networks: [six]',
        'networks:',
        '  six:',
        '    enable_ipv6: false',
        '    ipam:',
        '      config: [{ subnet: "fd00:7473:63ab::/64" }]',
        '',
      ].join('\n'),
    );
    // In the foreground: a detached up that fails this early leaves its keeper starting.
    const up = await t.cli(['up']);
    assert.is(up.code, 3, up.stderr);
    assert.match(
      up.stderr,
      'networks.six.ipam.config[0]: IPv6 subnet fd00:7473:63ab::/64 is given, but the network does not enable IPv6',
    );
    assert.match(up.stderr, 'hint: set networks.six.enable_ipv6: true');

    t.compose(
      [
        'services:',
        '  app:',
        '    image: busybox',
        '    command: ["sleep", "1000"]',
        '    networks:',
        '      plain: { ipv6_address: "fd00:7473:63ab::5" }',
        'networks:',
        '  plain:',
        '',
      ].join('\n'),
    );
    const fixed = await t.cli(['up']);
    assert.is(fixed.code, 3, fixed.stderr);
    assert.match(
      fixed.stderr,
      'services.app.networks.plain.ipv6_address: ipv6_address fd00:7473:63ab::5 is given, but network plain does not enable IPv6',
    );
    assert.equal(ipv6Rules(), []);
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
