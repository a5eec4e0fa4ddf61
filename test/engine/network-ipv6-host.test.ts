// IPv6 networks on a real kernel, inside a simulated host of the test's own (see
// fixtures/network): the bridge's and the containers' IPv6 addresses, ping over IPv6 on a host
// whose ip6tables FORWARD drops, outbound masquerade to an "outside" namespace the test makes
// (and none for an internal network), forwarding turned on and put back, and a host with
// IPv6 disabled refused. Traffic goes only between namespaces these tests made.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CommandRunner } from '../../src/engine/network/commands.js';
import {
  IptablesFirewall,
  NetworkManager,
  NftFirewall,
  noFirewall,
  type Firewall,
  type NetworkManagerOptions,
  type NetworkSpec,
} from '../../src/engine/network/index.js';
import { UnsupportedError } from '../../src/errors.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import { allOf, commandRuns, runningAsRoot, whenMet } from '../helpers/requirements.js';
import { must, randomContainerId, run, simHost, type SimHost } from './fixtures/network/simhost.js';

const requirement = allOf(
  runningAsRoot('bridges and network namespaces are made as root'),
  commandRuns('ip', ['-V'], 'iproute2 makes the bridges, veths and namespaces'),
  commandRuns('nsenter', ['--version'], 'the tests enter their simulated host with nsenter'),
  commandRuns('ip6tables', ['-V'], 'the simulated Docker host filters IPv6 with ip6tables'),
  commandRuns('nft', ['--version'], 'the nft backend is tested too'),
  commandRuns('busybox', ['true'], "busybox's ping -6 checks what reaches what"),
  commandRuns('cat', ['/proc/net/if_inet6'], 'the kernel has IPv6'),
);

let host: SimHost;
let state: TestEngine;
let containers: string[];
let managers: NetworkManager[];
let extraNamespaces: string[];
let project: string;

function manager(options: NetworkManagerOptions = {}): NetworkManager {
  const made = new NetworkManager(state.engine, {
    run: host.run,
    pool: ['10.213.0.0/16'],
    pool6: ['fd00:7473:6373::/48'],
    ...options,
  });
  managers.push(made);
  return made;
}

function spec(key: string, extra: Partial<NetworkSpec> = {}): NetworkSpec {
  return { name: `${project}_${key}`, project, enableIpv6: true, ...extra };
}

async function plugged(m: NetworkManager, network: string, ip6?: string) {
  const id = randomContainerId();
  containers.push(id);
  const netns = await m.createNamespace(id);
  const attachment = await m.attach(id, network, ip6 === undefined ? {} : { ip6 });
  return { id, netns, ...attachment };
}

function ping6(netns: string, address: string): boolean {
  return run('nsenter', [`--net=${netns}`, 'busybox', 'ping', '-6', '-c1', '-W1', address]).ok;
}

function inside(netns: string, ...args: string[]): string {
  return must('nsenter', [`--net=${netns}`, ...args]);
}

function globalAddresses(netns: string | undefined, dev: string): string[] {
  const prefix = netns === undefined ? [] : ['nsenter', `--net=${netns}`];
  const [file, ...args] = [...prefix, 'ip', '-j', '-6', 'addr', 'show', 'dev', dev];
  const entries = JSON.parse(must(file!, args) || '[]') as {
    addr_info: { local: string; prefixlen: number; scope: string; nodad?: boolean }[];
  }[];
  return entries
    .flatMap((entry) => entry.addr_info)
    .filter((info) => info.scope === 'global')
    .map((info) => `${info.local}/${info.prefixlen}${info.nodad ? ' nodad' : ''}`);
}

/**
 * A namespace beyond the simulated host, linked to it by a veth: fd99::2 out there, fd99::1
 * on the host. It has no route back to any container subnet, so only a masqueraded packet
 * (from fd99::1) gets an answer.
 */
function outside(): string {
  const name = `tscout-${randomContainerId().slice(0, 8)}`;
  must('ip', ['netns', 'add', name]);
  extraNamespaces.push(name);
  const netns = `/run/netns/${name}`;
  host.sh('ip', 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
  host.sh('ip', '-6', 'addr', 'add', 'fd99::1/64', 'dev', 'up0', 'nodad');
  host.sh('ip', 'link', 'set', 'up0', 'up');
  inside(netns, 'ip', '-6', 'addr', 'add', 'fd99::2/64', 'dev', 'eth0', 'nodad');
  inside(netns, 'ip', 'link', 'set', 'eth0', 'up');
  inside(netns, 'ip', 'link', 'set', 'lo', 'up');
  // A new veth answers its first neighbour solicitation only on the retry, a second later:
  // the link is made to work from the host first, so the container's one ping is not lost.
  host.sh('busybox', 'ping', '-6', '-c1', '-W3', 'fd99::2');
  return netns;
}

whenMet(test, requirement, () => {
  test.before.each(() => {
    project = `n6${Math.random().toString(36).slice(2, 8)}`;
    containers = [];
    managers = [];
    extraNamespaces = [];
    state = testEngine('tscompose-network-ipv6-');
    host = simHost({ docker: true });
    // As on a Docker host with IPv6: bridged IPv6 goes through ip6tables, whose FORWARD drops.
    host.sh('sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-ip6tables=1');
    host.sh('ip6tables', '-w', '-P', 'FORWARD', 'DROP');
  });

  test.after.each(async () => {
    try {
      for (const id of containers) {
        await managers[0]?.deleteNamespace(id).catch(() => undefined);
        const netns = `tsc-${id.slice(0, 12)}`;
        if (existsSync(`/run/netns/${netns}`)) run('ip', ['netns', 'delete', netns]);
      }
      for (const name of extraNamespaces) run('ip', ['netns', 'delete', name]);
    } finally {
      host.dispose();
      state.dispose();
    }
  });

  test('two namespaces on an IPv6 bridge ping each other over IPv6 where FORWARD drops', async () => {
    const m = manager();
    const net = await m.ensure(spec('default'));
    assert.is(net.subnet6, 'fd00:7473:6373::/64');
    assert.is(net.gateway6, 'fd00:7473:6373::1');
    assert.equal(globalAddresses(host.path, net.bridge), ['fd00:7473:6373::1/64 nodad']);

    const a = await plugged(m, net.name);
    const b = await plugged(m, net.name);
    assert.equal([a.ip6, b.ip6], ['fd00:7473:6373::2', 'fd00:7473:6373::3']);
    assert.equal(globalAddresses(a.netns, 'eth0'), ['fd00:7473:6373::2/64 nodad']);
    assert.ok(ping6(a.netns, b.ip6!), 'a reaches b over IPv6');
    assert.ok(ping6(b.netns, a.ip6!), 'b reaches a over IPv6');
    assert.ok(ping6(a.netns, net.gateway6!), 'a reaches the gateway over IPv6');

    const routes = JSON.parse(inside(a.netns, 'ip', '-j', '-6', 'route', 'show', 'default'));
    assert.is(routes[0]?.gateway, 'fd00:7473:6373::1');
    assert.equal(
      m.leases(net.name).map((lease) => [lease.containerId, lease.ip, lease.ip6]),
      [
        [a.id, a.ip, a.ip6],
        [b.id, b.ip, b.ip6],
      ],
    );
  });

  test('ensure again changes nothing; a changed IPv6 setting is refused', async () => {
    const calls: string[] = [];
    const recording: CommandRunner = (command, args) => {
      calls.push([command, ...args].join(' '));
      return host.run(command, args);
    };
    const m = manager({ run: recording });
    const net = await m.ensure(spec('default', { subnet6: 'fd00:7473:63ee::/64' }));
    calls.length = 0;
    assert.equal(await m.ensure(spec('default', { subnet6: 'fd00:7473:63ee:0::/64' })), net);
    const writes = calls.filter((call) => / -[ADIN] | sysctl -q -w /.test(call));
    assert.equal(writes, [], 'the rules and settings are found as they should be');
    let failure: unknown;
    try {
      await m.ensure(spec('default', { subnet6: 'fd00:7473:63ef::/64' }));
    } catch (err) {
      failure = err;
    }
    assert.match(String(failure), 'exists with a different IPv6 subnet');
    try {
      await m.ensure(spec('default', { enableIpv6: false }));
    } catch (err) {
      failure = err;
    }
    assert.match(String(failure), 'exists with a different enable_ipv6');
  });

  test("without the engine's rules the same host drops bridged IPv6", async () => {
    const m = manager({ firewall: noFirewall, ipForward: false });
    const net = await m.ensure(spec('default'));
    const a = await plugged(m, net.name);
    const b = await plugged(m, net.name);
    assert.not.ok(ping6(a.netns, b.ip6!), 'ip6tables FORWARD DROP stops bridged IPv6');
    await new IptablesFirewall(host.run).allowBridge(net.bridge, net.subnet, false, net.subnet6);
    assert.ok(ping6(a.netns, b.ip6!), 'the IPv6 accept rules let it through');
  });

  const backends: [string, (run: CommandRunner) => Firewall][] = [
    ['iptables', (r) => new IptablesFirewall(r)],
    ['nft', (r) => new NftFirewall(r)],
  ];
  for (const [backend, firewall] of backends) {
    test(`${backend}: outbound IPv6 is masqueraded; an internal network has no way out`, async () => {
      if (backend === 'nft') host.sh('ip6tables', '-w', '-P', 'FORWARD', 'ACCEPT');
      outside();
      const m = manager({ firewall: firewall(host.run) });
      const open = await m.ensure(spec('open'));
      const closed = await m.ensure(spec('closed', { internal: true }));
      assert.is(closed.subnet6, 'fd00:7473:6373:1::/64');
      assert.is(host.sh('sysctl', '-n', 'net.ipv6.conf.all.forwarding').trim(), '1');

      const a = await plugged(m, open.name);
      assert.ok(ping6(a.netns, 'fd99::2'), 'a reaches the outside, masqueraded');
      const c = await plugged(m, closed.name);
      const d = await plugged(m, closed.name);
      assert.ok(ping6(c.netns, d.ip6!), 'an internal network carries its own IPv6 traffic');
      assert.equal(JSON.parse(inside(c.netns, 'ip', '-j', '-6', 'route', 'show', 'default')), []);
      // Even given a route, nothing of the internal network crosses its bridge's edge.
      inside(c.netns, 'ip', '-6', 'route', 'add', 'default', 'via', closed.gateway6!);
      assert.not.ok(ping6(c.netns, 'fd99::2'), 'c has no way out');

      const nat =
        backend === 'iptables'
          ? host.sh('ip6tables', '-w', '-t', 'nat', '-S', 'TSCOMPOSE-POSTROUTING')
          : host.sh('nft', 'list', 'chain', 'ip6', 'tscompose', 'TSCOMPOSE-POSTROUTING');
      assert.ok(nat.includes(open.subnet6!), nat);
      assert.not.ok(nat.includes(closed.subnet6!), `no masquerade for the internal one: ${nat}`);
      assert.not.ok(nat.includes(closed.bridge), nat);
    });
  }

  test('removing the last IPv6 network removes its rules and puts forwarding back', async () => {
    assert.is(host.sh('sysctl', '-n', 'net.ipv6.conf.all.forwarding').trim(), '0');
    const m = manager();
    const one = await m.ensure(spec('one'));
    const two = await m.ensure(spec('two'));
    const plain = await m.ensure({ name: `${project}_plain`, project });
    assert.is(plain.subnet6, undefined, 'a network without enable_ipv6 stays IPv4 only');
    assert.equal(globalAddresses(host.path, plain.bridge), []);
    const a = await plugged(m, one.name);
    assert.is(host.sh('sysctl', '-n', 'net.ipv6.conf.all.forwarding').trim(), '1');

    await m.deleteNamespace(a.id);
    await m.remove(one.name);
    assert.is(host.sh('sysctl', '-n', 'net.ipv6.conf.all.forwarding').trim(), '1', 'two needs it');
    await m.remove(two.name);
    assert.is(host.sh('sysctl', '-n', 'net.ipv6.conf.all.forwarding').trim(), '0');
    const rules = [
      host.sh('ip6tables', '-w', '-S'),
      host.sh('ip6tables', '-w', '-t', 'nat', '-S'),
    ].join('\n');
    assert.not.ok(/TSCOMPOSE|tsc-/.test(rules), rules);
    const v4 = host.sh('iptables', '-w', '-S', 'TSCOMPOSE-FORWARD');
    assert.ok(v4.includes(plain.bridge), 'the IPv4 network keeps its rules');
    await m.remove(plain.name);
  });

  test('ipv6_address is kept, checked against the subnet, and given once', async () => {
    const m = manager();
    const net = await m.ensure(
      spec('fixed', { subnet6: 'fd00:7473:63ff::/64', ipRange6: 'fd00:7473:63ff::100/120' }),
    );
    const a = await plugged(m, net.name, 'fd00:7473:63ff::10');
    assert.is(a.ip6, 'fd00:7473:63ff::10');
    const b = await plugged(m, net.name);
    assert.is(b.ip6, 'fd00:7473:63ff::100', 'a dynamic address comes from the ip_range');
    assert.ok(ping6(b.netns, a.ip6!));
    let failure: unknown;
    try {
      await plugged(m, net.name, 'fd00:7473:6400::1');
    } catch (err) {
      failure = err;
    }
    assert.match(String(failure), /ipv6_address fd00:7473:6400::1 is not a host address/);
  });

  test('a host with IPv6 disabled refuses enable_ipv6, and keeps IPv4 networks', async () => {
    host.sh('sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1');
    const m = manager();
    assert.match((await m.ipv6Unavailable()) ?? '', /net\.ipv6\.conf\.all\.disable_ipv6 = 1/);
    let failure: unknown;
    try {
      await m.ensure(spec('default'));
    } catch (err) {
      failure = err;
    }
    assert.instance(failure, UnsupportedError);
    assert.match((failure as Error).message, `network "${project}_default" enables IPv6, but`);
    assert.equal(m.list(project), [], 'nothing is recorded');
    const plain = await m.ensure({ name: `${project}_plain`, project });
    assert.is(plain.subnet6, undefined);
  });

  test('namespaces in a directory of their own get IPv6 too', async () => {
    const m = manager({ netnsDir: path.join(state.root, 'netns') });
    const net = await m.ensure(spec('default'));
    const a = await plugged(m, net.name);
    const b = await plugged(m, net.name);
    assert.ok(ping6(a.netns, b.ip6!));
    await m.deleteNamespace(a.id);
    await m.deleteNamespace(b.id);
    assert.equal(m.leases(net.name), []);
  });
});

test.run();
