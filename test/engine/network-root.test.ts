// The network layer in the real host's own network namespace, with no prefix in front of its
// commands. It adds no firewall rules and leaves ip_forward alone (the simulated Docker host
// of network-host.test.ts covers those), so it runs only where FORWARD accepts.
import { existsSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NetworkManager, noFirewall } from '../../src/engine/network/index.js';
import { testEngine, type TestEngine } from '../helpers/engine.js';
import {
  allOf,
  commandRuns,
  runningAsRoot,
  whenMet,
  type Requirement,
} from '../helpers/requirements.js';
import { pings, randomContainerId, run } from './fixtures/network/simhost.js';

function forwardAccepts(): Requirement {
  const rules = run('iptables', ['-w', '-S', 'FORWARD']);
  if (!rules.ok)
    return { met: false, reason: `iptables -S FORWARD failed: ${rules.stderr.trim()}` };
  return rules.stdout.includes('-P FORWARD ACCEPT')
    ? { met: true, detail: 'FORWARD ACCEPT' }
    : { met: false, reason: "this host's FORWARD drops, and this test adds no rules to it" };
}

const requirement = allOf(
  runningAsRoot('bridges and network namespaces are made as root'),
  commandRuns('ip', ['-V'], 'iproute2 makes the bridges, veths and namespaces'),
  commandRuns('busybox', ['true'], "busybox's ping checks what reaches what"),
  commandRuns('iptables', ['-V'], "the host's FORWARD policy is read (not changed)"),
  forwardAccepts(),
);

let state: TestEngine;
let manager: NetworkManager;
let containers: string[];
let networks: string[];

whenMet(test, requirement, () => {
  test.before.each(() => {
    state = testEngine('tscompose-network-root-');
    // A pool of the tests' own; the manager skips any /24 the host routes already.
    manager = new NetworkManager(state.engine, {
      pool: ['10.213.0.0/16'],
      firewall: noFirewall,
      ipForward: false,
    });
    containers = [];
    networks = [];
  });

  test.after.each(async () => {
    try {
      for (const id of containers) await manager.deleteNamespace(id).catch(() => undefined);
      for (const name of networks) await manager.remove(name).catch(() => undefined);
      for (const id of containers) {
        const netns = `tsc-${id.slice(0, 12)}`;
        if (existsSync(`/run/netns/${netns}`)) run('ip', ['netns', 'delete', netns]);
      }
    } finally {
      state.dispose();
    }
  });

  test('a bridge on the real host carries traffic between two namespaces', async () => {
    const project = `nr${Math.random().toString(36).slice(2, 8)}`;
    const name = `${project}_default`;
    networks.push(name);
    const net = await manager.ensure({
      name,
      project,
      labels: { 'com.docker.compose.network': 'default' },
    });
    const routes = JSON.parse(run('ip', ['-j', 'route', 'show', 'dev', net.bridge]).stdout);
    assert.equal(
      routes.map((route: { dst: string }) => route.dst),
      [net.subnet],
    );

    const [a, b] = [randomContainerId(), randomContainerId()];
    containers.push(a, b);
    const [na, nb] = [await manager.createNamespace(a), await manager.createNamespace(b)];
    const ipA = (await manager.attach(a, name)).ip;
    const ipB = (await manager.attach(b, name)).ip;
    assert.ok(pings(na, ipB));
    assert.ok(pings(nb, ipA));

    await manager.deleteNamespace(a);
    await manager.deleteNamespace(b);
    await manager.remove(name);
    assert.not.ok(run('ip', ['link', 'show', 'dev', net.bridge]).ok, 'the bridge is gone');
    assert.equal(manager.list(project), []);
  });
});

// In the same suite as above, with its before and after hooks, on a kernel with IPv6.
const ipv6Kernel = commandRuns('cat', ['/proc/net/if_inet6'], 'the kernel has IPv6');
whenMet(test, allOf(requirement, ipv6Kernel), () => {
  test('an IPv6 network on the real host takes a /64 no route of the host uses', async () => {
    const project = `nr${Math.random().toString(36).slice(2, 8)}`;
    const name = `${project}_six`;
    networks.push(name);
    const hostRoutes = JSON.parse(run('ip', ['-j', '-6', 'route', 'show']).stdout) as {
      dst: string;
    }[];
    const net = await manager.ensure({ name, project, enableIpv6: true });
    assert.match(net.subnet6 ?? '', /^fd00:7473:6373:[0-9a-f]*:*\/64$/);
    assert.not.ok(
      hostRoutes.some((route) => route.dst === net.subnet6),
      `${net.subnet6} was routed already`,
    );
    const routes = JSON.parse(run('ip', ['-j', '-6', 'route', 'show', 'dev', net.bridge]).stdout);
    assert.ok(routes.some((route: { dst: string }) => route.dst === net.subnet6));

    const [a, b] = [randomContainerId(), randomContainerId()];
    containers.push(a, b);
    const [na] = [await manager.createNamespace(a), await manager.createNamespace(b)];
    await manager.attach(a, name);
    const ipB = (await manager.attach(b, name)).ip6!;
    const ping = run('nsenter', [`--net=${na}`, 'busybox', 'ping', '-6', '-c1', '-W2', ipB]);
    assert.ok(ping.ok, ping.stdout + ping.stderr);

    await manager.deleteNamespace(a);
    await manager.deleteNamespace(b);
    await manager.remove(name);
    assert.not.ok(run('ip', ['link', 'show', 'dev', net.bridge]).ok, 'the bridge is gone');
  });
});

test.run();
