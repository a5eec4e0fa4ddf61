// The network layer on a real kernel: bridges, namespaces, veths and firewall rules, all made
// inside a simulated host (a network namespace of the test's own, see fixtures/network), so
// that the real host's FORWARD chain, routes and sysctls are never touched. The simulated
// host looks like one with Docker installed: FORWARD DROP, br_netfilter passing bridged
// traffic to iptables. Traffic goes only between namespaces these tests made.
import { existsSync, mkdirSync } from 'node:fs';
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
import { eventsAfter } from '../../src/engine/state/events.js';
import { ConflictError, NotFoundError } from '../../src/errors.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import { allOf, commandRuns, runningAsRoot, whenMet } from '../helpers/requirements.js';
import {
  pings,
  randomContainerId,
  run,
  simHost,
  type SimHost,
} from './fixtures/network/simhost.js';

const requirement = allOf(
  runningAsRoot('bridges and network namespaces are made as root'),
  commandRuns('ip', ['-V'], 'iproute2 makes the bridges, veths and namespaces'),
  commandRuns('nsenter', ['--version'], 'the tests enter their simulated host with nsenter'),
  commandRuns('iptables', ['-V'], 'the simulated Docker host filters with iptables'),
  commandRuns('nft', ['--version'], 'the nft backend is tested too'),
  commandRuns('busybox', ['true'], "busybox's ping checks what reaches what"),
);

let host: SimHost;
let state: TestEngine;
let containers: string[];
let managers: NetworkManager[];
let project: string;

function manager(options: NetworkManagerOptions = {}): NetworkManager {
  const made = new NetworkManager(state.engine, {
    run: host.run,
    pool: ['10.213.0.0/16'],
    ...options,
  });
  managers.push(made);
  return made;
}

function container(): string {
  const id = randomContainerId();
  containers.push(id);
  return id;
}

function spec(key: string, extra: Partial<NetworkSpec> = {}): NetworkSpec {
  return { name: `${project}_${key}`, project, ...extra };
}

/** A container's namespace plugged into each network; its address on the first. */
async function plugged(m: NetworkManager, ...networks: string[]) {
  const id = container();
  const netns = await m.createNamespace(id);
  const ips: string[] = [];
  for (const network of networks) ips.push((await m.attach(id, network)).ip);
  return { id, netns, ip: ips[0]!, ips };
}

/** The promise fails, and its error is the one `expected` describes. */
async function rejects(action: () => Promise<unknown>, expected: (err: unknown) => boolean) {
  let failure: unknown;
  try {
    await action();
  } catch (err) {
    failure = err;
  }
  assert.ok(failure !== undefined, 'expected a failure, and it succeeded');
  assert.ok(expected(failure), `unexpected failure: ${String(failure)}`);
}

function hostLinks(): { ifname: string; ifalias?: string; mtu: number; flags: string[] }[] {
  return JSON.parse(host.sh('ip', '-j', '-d', 'link', 'show'));
}

whenMet(test, requirement, () => {
  test.before.each(() => {
    project = `nt${Math.random().toString(36).slice(2, 8)}`;
    containers = [];
    managers = [];
    state = testEngine('tscompose-network-');
    host = simHost({ docker: true });
  });

  test.after.each(async () => {
    try {
      for (const id of containers) {
        await managers[0]?.deleteNamespace(id).catch(() => undefined);
        const netns = `/run/netns/tsc-${id.slice(0, 12)}`;
        if (existsSync(netns)) run('ip', ['netns', 'delete', path.basename(netns)]);
      }
    } finally {
      host.dispose();
      state.dispose();
    }
  });

  test('two namespaces on one bridge reach each other on a host whose FORWARD drops', async () => {
    const m = manager();
    const net = await m.ensure(spec('default'));
    assert.match(net.bridge, /^tsc-[0-9a-f]{8}$/);
    assert.is(net.subnet, '10.213.0.0/24');
    assert.is(net.gateway, '10.213.0.1');
    const bridge = hostLinks().find((link) => link.ifname === net.bridge);
    assert.is(bridge?.ifalias, `tscompose:${project}:${project}_default`);
    assert.ok(bridge?.flags.includes('UP'));

    const a = await plugged(m, net.name);
    const b = await plugged(m, net.name);
    assert.is(a.netns, `/run/netns/tsc-${a.id.slice(0, 12)}`);
    assert.equal([a.ip, b.ip], ['10.213.0.2', '10.213.0.3']);
    assert.ok(pings(a.netns, b.ip), 'a reaches b');
    assert.ok(pings(b.netns, a.ip), 'b reaches a');

    const inside = JSON.parse(
      run('nsenter', [`--net=${a.netns}`, 'ip', '-j', 'link', 'show', 'eth0']).stdout,
    );
    assert.is(inside[0].address, '02:42:0a:d5:00:02');
    const routes = run('nsenter', [`--net=${a.netns}`, 'ip', '-j', 'route', 'show', 'default']);
    assert.is(JSON.parse(routes.stdout)[0]?.gateway, '10.213.0.1');
    assert.equal(
      m.leases(net.name).map((lease) => [lease.containerId, lease.ip, lease.ifname]),
      [
        [a.id, a.ip, 'eth0'],
        [b.id, b.ip, 'eth0'],
      ],
    );
  });

  test("without the engine's rules the same host drops the bridge's own traffic", async () => {
    const m = manager({ firewall: noFirewall });
    const net = await m.ensure(spec('default'));
    const a = await plugged(m, net.name);
    const b = await plugged(m, net.name);
    assert.not.ok(pings(a.netns, b.ip), 'the simulated host drops bridged traffic');
    await new IptablesFirewall(host.run).allowBridge(net.bridge, net.subnet, false);
    assert.ok(pings(a.netns, b.ip), 'the accept rules let it through');
  });

  const backends: [string, (run: CommandRunner) => Firewall][] = [
    ['iptables', (r) => new IptablesFirewall(r)],
    ['nft', (r) => new NftFirewall(r)],
  ];
  for (const [backend, firewall] of backends) {
    test(`${backend}: networks are isolated from each other, though the host routes between them`, async () => {
      host.sh('iptables', '-w', '-P', 'FORWARD', 'ACCEPT');
      const open = manager({ firewall: noFirewall });
      const front = await open.ensure(spec('front'));
      const back = await open.ensure(spec('back'));
      const a = await plugged(open, front.name);
      const b = await plugged(open, back.name);
      assert.ok(pings(a.netns, b.ip), 'without rules the host routes from one bridge to the other');

      const m = manager({ firewall: firewall(host.run) });
      await m.ensure(spec('front'));
      await m.ensure(spec('back'));
      assert.not.ok(pings(a.netns, b.ip), 'front cannot reach back');
      assert.not.ok(pings(b.netns, a.ip), 'back cannot reach front');
      assert.ok(pings(a.netns, front.gateway), 'the gateway still answers');
    });
  }

  test('nft: the table goes with the last bridge, and stays while another is there', async () => {
    const nft = new NftFirewall(host.run);
    const tables = () => host.sh('nft', 'list', 'tables');
    await nft.allowBridge('tsc-nfta', '10.213.90.0/24', false);
    await nft.allowBridge('tsc-nftb', '10.213.91.0/24', true);
    assert.match(tables(), /table ip tscompose/);
    await nft.removeBridge('tsc-nfta');
    assert.match(tables(), /table ip tscompose/, 'tsc-nftb still has its rules');
    await nft.removeBridge('tsc-nftb');
    assert.not.match(tables(), /tscompose/, 'nothing of the engine is left');
  });

  test('an internal network gets no NAT rule and no default route', async () => {
    const m = manager();
    const open = await m.ensure(spec('open'));
    const closed = await m.ensure(spec('closed', { internal: true }));
    const nat = host.sh('iptables', '-w', '-t', 'nat', '-S', 'TSCOMPOSE-POSTROUTING');
    assert.ok(nat.includes(`-s ${open.subnet} ! -o ${open.bridge} -j MASQUERADE`), nat);
    assert.not.ok(nat.includes(closed.subnet), nat);
    assert.not.ok(nat.includes(closed.bridge), nat);

    const a = await plugged(m, closed.name);
    const b = await plugged(m, closed.name);
    const routes = run('nsenter', [`--net=${a.netns}`, 'ip', '-j', 'route', 'show', 'default']);
    assert.equal(JSON.parse(routes.stdout || '[]'), []);
    assert.ok(pings(a.netns, b.ip), 'an internal network still carries its own traffic');
  });

  test('leases are released on deleteNamespace and reused', async () => {
    const m = manager();
    const net = await m.ensure(spec('default'));
    const a = await plugged(m, net.name);
    const b = await plugged(m, net.name);
    const vethOfA = m.leases(net.name)[0]!.hostIfname;
    await m.deleteNamespace(a.id);
    assert.not.ok(existsSync(a.netns), 'the namespace is gone');
    assert.not.ok(
      hostLinks().some((link) => link.ifname === vethOfA),
      'its veth went with it',
    );
    assert.equal(
      m.leases(net.name).map((lease) => lease.containerId),
      [b.id],
    );

    const c = await plugged(m, net.name);
    assert.is(c.ip, a.ip);
    assert.ok(pings(c.netns, b.ip));
    const actions = eventsAfter(state.engine.db, 0, project).map((event) => event.action);
    assert.equal(actions, ['create', 'connect', 'connect', 'disconnect', 'connect']);
    await m.deleteNamespace(a.id); // again: nothing left to do
  });

  test('an explicit subnet that overlaps another network or a host route is refused, naming both', async () => {
    const m = manager({ pool: ['10.213.60.0/23'] });
    await m.ensure(spec('a', { subnet: '10.213.50.0/24' }));
    await rejects(
      () => m.ensure(spec('b', { subnet: '10.213.50.128/25' })),
      (err: unknown) =>
        err instanceof ConflictError &&
        err.message ===
          `subnet 10.213.50.128/25 of network "${project}_b" overlaps 10.213.50.0/24 of network "${project}_a"`,
    );
    host.sh('ip', 'route', 'add', '10.213.60.0/24', 'dev', 'lo');
    await rejects(
      () => m.ensure(spec('c', { subnet: '10.213.60.0/25' })),
      (err: unknown) =>
        err instanceof ConflictError &&
        err.message ===
          `subnet 10.213.60.0/25 of network "${project}_c" overlaps 10.213.60.0/24 of the host's route on lo`,
    );
    const pooled = await m.ensure(spec('d'));
    assert.is(pooled.subnet, '10.213.61.0/24', 'the pool skips the routed /24');
    assert.equal(
      m.list(project).map((net) => net.name),
      [`${project}_a`, `${project}_d`],
    );
    const bridges = hostLinks().filter((link) => link.ifalias?.startsWith(`tscompose:${project}:`));
    assert.is(bridges.length, 2, 'a refused network leaves no bridge');
  });

  test('remove is refused while a lease is held, then removes the bridge and its rules exactly', async () => {
    const m = manager();
    const front = await m.ensure(spec('front'));
    const back = await m.ensure(spec('back'));
    const a = await plugged(m, front.name);
    await rejects(
      () => m.remove(front.name),
      (err: unknown) =>
        err instanceof ConflictError &&
        err.message === `network "${front.name}" is in use by 1 container(s): ${a.id.slice(0, 12)}`,
    );
    await m.deleteNamespace(a.id);
    await m.remove(front.name);
    assert.is(m.find(front.name), undefined);
    assert.not.ok(hostLinks().some((link) => link.ifname === front.bridge));
    const rules = [
      host.sh('iptables', '-w', '-S', 'TSCOMPOSE-FORWARD'),
      host.sh('iptables', '-w', '-S', 'TSCOMPOSE-ISOLATION'),
      host.sh('iptables', '-w', '-t', 'nat', '-S', 'TSCOMPOSE-POSTROUTING'),
    ].join('\n');
    assert.not.ok(rules.includes(front.bridge), rules);
    assert.is(rules.split('\n').filter((line) => line.includes(back.bridge)).length, 6, rules);
    await rejects(
      () => m.remove(front.name),
      (err: unknown) => err instanceof NotFoundError,
    );
  });

  test('ensure is idempotent, mends a missing bridge and refuses a changed spec', async () => {
    const m = manager();
    const net = await m.ensure(spec('default'));
    assert.equal(await m.ensure(spec('default')), net);
    host.sh('ip', 'link', 'del', 'dev', net.bridge);
    await m.ensure(spec('default'));
    const addresses = JSON.parse(host.sh('ip', '-j', '-4', 'addr', 'show', 'dev', net.bridge));
    assert.is(addresses[0].addr_info[0].local, net.gateway);
    await rejects(
      () => m.ensure(spec('default', { internal: true })),
      (err: unknown) =>
        err instanceof ConflictError && err.message.endsWith('exists with a different internal'),
    );
  });

  test('driver_opts name the bridge and its MTU; ip, mac and a second network are honoured', async () => {
    const m = manager();
    const bridge = `tsb${project}`.slice(0, 15);
    const options = {
      'com.docker.network.bridge.name': bridge,
      'com.docker.network.driver.mtu': '1400',
    };
    const front = await m.ensure(spec('front', { driverOpts: options }));
    const back = await m.ensure(
      spec('back', { subnet: '10.213.77.0/24', ipRange: '10.213.77.128/25' }),
    );
    assert.is(front.bridge, bridge);
    assert.is(hostLinks().find((link) => link.ifname === bridge)?.mtu, 1400);

    const id = container();
    const netns = await m.createNamespace(id);
    const first = await m.attach(id, front.name, { ip: '10.213.0.50', mac: '02:00:00:00:00:50' });
    const second = await m.attach(id, back.name);
    assert.equal(first, { ip: '10.213.0.50', mac: '02:00:00:00:00:50', ifname: 'eth0' });
    assert.equal(second, { ip: '10.213.77.128', mac: '02:42:0a:d5:4d:80', ifname: 'eth1' });
    const eth0 = JSON.parse(
      run('nsenter', [`--net=${netns}`, 'ip', '-j', 'link', 'show', 'eth0']).stdout,
    );
    assert.is(eth0[0].mtu, 1400);
    const routes = run('nsenter', [`--net=${netns}`, 'ip', '-j', 'route', 'show', 'default']);
    assert.is(
      JSON.parse(routes.stdout)[0]?.dev,
      'eth0',
      'the first network keeps the default route',
    );
    assert.equal(await m.attach(id, front.name), first, 'attaching again changes nothing');

    const other = container();
    await m.createNamespace(other);
    await rejects(
      () => m.attach(other, front.name, { ip: '10.213.0.50' }),
      (err: unknown) =>
        err instanceof ConflictError &&
        err.message.includes(`is held by container ${id.slice(0, 12)}`),
    );
  });

  test('namespaces can live in a directory of their own', async () => {
    const netnsDir = path.join(state.root, 'netns');
    mkdirSync(netnsDir);
    const m = manager({ netnsDir });
    const net = await m.ensure(spec('default'));
    const a = await plugged(m, net.name);
    const b = await plugged(m, net.name);
    assert.is(a.netns, path.join(netnsDir, `tsc-${a.id.slice(0, 12)}`));
    assert.ok(pings(a.netns, b.ip));
    await m.deleteNamespace(a.id);
    await m.deleteNamespace(b.id);
    assert.not.ok(existsSync(a.netns) || existsSync(b.netns));
  });
});

test.run();
