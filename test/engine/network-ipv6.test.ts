// The IPv6 arithmetic of the network layer, with no kernel: parsing and RFC 5952 printing,
// the pool's next free /64 around networks and host routes, the Nth lease of a subnet, the
// checks on a network's IPv6 settings, and what the host checks say (over recorded commands).
// network-ipv6-host.test.ts runs the same on a real kernel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  formatCidr6,
  formatIp6,
  overlaps6,
  parseCidr6,
  parseIp6,
  within6,
} from '../../src/engine/network/cidr6.js';
import { CommandError, type CommandRunner } from '../../src/engine/network/commands.js';
import {
  enableIpv6Forwarding,
  ipv6Unavailable,
  putBackIpv6Forwarding,
} from '../../src/engine/network/host-ipv6.js';
import { IpRoute, routedSubnets6 } from '../../src/engine/network/iproute.js';
import { leaseAddress } from '../../src/engine/network/leases.js';
import {
  DEFAULT_POOL6,
  addressPlan6,
  checkAddress6,
  checkSubnet6,
  nextFreeSubnet6,
  pickAddress6,
  poolEntries6,
} from '../../src/engine/network/pool6.js';
import { NetworkTable } from '../../src/engine/network/records.js';
import { describeSpec } from '../../src/engine/network/reserve.js';
import { ConflictError, InvalidError, UnsupportedError } from '../../src/errors.js';
import { testEngine } from '../helpers/engine.js';

const cidr = (text: string) => parseCidr6(text);
const ips = (...texts: string[]) => new Set(texts.map((text) => parseIp6(text)));
const text = (value: bigint | undefined) => (value === undefined ? undefined : formatIp6(value));

test('IPv6 addresses parse and print back in RFC 5952 form', () => {
  assert.is(parseIp6('::'), 0n);
  assert.is(parseIp6('::1'), 1n);
  assert.is(parseIp6('fd00:7473:6373::1'), (0xfd00747363730000n << 64n) | 1n);
  assert.is(formatIp6(parseIp6('2001:0DB8:0000:0000:0000:0000:0000:0001')), '2001:db8::1');
  assert.is(formatIp6(parseIp6('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
  assert.is(formatIp6(parseIp6('::ffff:192.0.2.1')), '::ffff:c000:201');
  assert.is(formatIp6(parseIp6('fd00:1:2:3:4:5:6:7')), 'fd00:1:2:3:4:5:6:7');
  assert.is(formatIp6((1n << 128n) - 1n), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  for (const bad of ['fd00::g', '1::2::3', 'fe80::1%eth0', '10.0.0.1', '1:2:3:4:5:6:7:8:9']) {
    assert.throws(
      () => parseIp6(bad, 'ipv6_address'),
      (err: unknown) =>
        err instanceof InvalidError &&
        err.message === `ipv6_address "${bad}" is not an IPv6 address`,
    );
  }
});

test('IPv6 subnets: prefix, host bits, overlap', () => {
  assert.is(formatCidr6(cidr('FD00:7473:6373:0001::/64')), 'fd00:7473:6373:1::/64');
  assert.is(formatCidr6(cidr('fd00::5')), 'fd00::5/128');
  assert.throws(() => parseCidr6('fd00::/129'), /invalid prefix length/);
  assert.throws(() => parseCidr6('fd00::/64/1'), /CIDR form/);
  try {
    parseCidr6('fd00:7473:6373:1::5/64');
    assert.unreachable('host bits were accepted');
  } catch (err) {
    assert.instance(err, InvalidError);
    assert.is((err as InvalidError).hint, 'use fd00:7473:6373:1::/64');
  }
  assert.ok(overlaps6(cidr('fd00:7473:6373::/48'), cidr('fd00:7473:6373:5::/64')));
  assert.ok(overlaps6(cidr('fd00:7473:6373:5::/64'), cidr('fd00:7473:6373::/48')));
  assert.not.ok(overlaps6(cidr('fd00::/64'), cidr('fd00:7473:6373::/64')));
  assert.not.ok(overlaps6(cidr('fd00:7473:6373::/64'), cidr('fd00:7473:6373:1::/64')));
  assert.ok(within6(cidr('fd00:7473:6373::100/120'), cidr('fd00:7473:6373::/64')));
  assert.not.ok(within6(cidr('fd00:7473:6373::/63'), cidr('fd00:7473:6373::/64')));
});

test('the default IPv6 pool gives /64s of unique local space, never fd00::/64', () => {
  const pool = poolEntries6(DEFAULT_POOL6);
  const first = nextFreeSubnet6(pool, []);
  assert.is(formatCidr6(first), 'fd00:7473:6373::/64');
  assert.ok(first.base >> 121n === 0x7en, 'a unique local address (fc00::/7)');
  assert.not.ok(overlaps6(first, cidr('fd00::/64')));
});

test('the next free /64 skips networks and host routes, wide ones at one step', () => {
  const pool = poolEntries6(['fd00::/48']);
  const occupied = [
    { cidr: cidr('fd00::/64'), owner: "the host's route on eth0" },
    { cidr: cidr('fd00:0:0:1::/64'), owner: 'network "a"' },
    { cidr: cidr('fd00:0:0:2::80/121'), owner: "the host's route on eth1" },
  ];
  assert.is(formatCidr6(nextFreeSubnet6(pool, occupied)), 'fd00:0:0:3::/64');
  const wide = [{ cidr: cidr('fd00::/49'), owner: "the host's route on wg0" }];
  assert.is(formatCidr6(nextFreeSubnet6(pool, wide)), 'fd00:0:0:8000::/64');
  // A /32 pool that is all routed is found exhausted at once, not after 2^32 steps.
  const all = [{ cidr: cidr('fd00::/16'), owner: "the host's routes" }];
  assert.throws(
    () => nextFreeSubnet6(poolEntries6(['fd00::/32']), all),
    (err: unknown) => err instanceof ConflictError && /IPv6 address pool/.test(String(err)),
  );
  const small = poolEntries6(['fd00:0:0:9::/80']);
  assert.is(formatCidr6(nextFreeSubnet6(small, occupied)), 'fd00:0:0:9::/80');
});

test("the host's IPv6 routes, as iproute2 prints them, without default and link-local", () => {
  const routes = [
    { dst: 'fd00::/64', dev: 'eth0', protocol: 'kernel' },
    { dst: 'fe80::/64', dev: 'eth0', protocol: 'kernel' },
    { dst: 'fd00:7473:6373::/64', dev: 'tsc-0000aaaa', protocol: 'kernel' },
    { dst: 'fd42::7', dev: 'wg0' },
    { dst: 'ff00::/8', dev: 'eth0' },
    { dst: 'default', gateway: 'fd00::1', dev: 'eth0' },
  ];
  assert.equal(
    routedSubnets6(routes).map(({ cidr: c, route }) => `${formatCidr6(c)} ${route.dev}`),
    ['fd00::/64 eth0', 'fd00:7473:6373::/64 tsc-0000aaaa', 'fd42::7/128 wg0'],
  );
});

test('an explicit IPv6 subnet that overlaps is refused, naming both', () => {
  const occupied = [{ cidr: cidr('fd00::/64'), owner: "the host's route on eth0" }];
  assert.throws(
    () => checkSubnet6('shop_front', cidr('fd00::/56'), occupied),
    (err: unknown) =>
      err instanceof ConflictError &&
      err.message ===
        `IPv6 subnet fd00::/56 of network "shop_front" overlaps fd00::/64 of the host's route on eth0`,
  );
  checkSubnet6('shop_front', cidr('fd00:0:0:1::/64'), occupied);
});

test('IPv6 leases: the gateway is ::1, the Nth lease the next free address after it', () => {
  const plan = addressPlan6(cidr('fd00:7473:6373::/64'));
  assert.is(text(plan.gateway), 'fd00:7473:6373::1');
  assert.is(text(pickAddress6(plan, new Set())), 'fd00:7473:6373::2');
  const taken = ips('fd00:7473:6373::2', 'fd00:7473:6373::3', 'fd00:7473:6373::5');
  assert.is(text(pickAddress6(plan, taken)), 'fd00:7473:6373::4');
  const many = new Set(
    [...Array(300).keys()].map((n) => parseIp6('fd00:7473:6373::2') + BigInt(n)),
  );
  assert.is(text(pickAddress6(plan, many)), 'fd00:7473:6373::12e', 'the 301st lease');

  const low = addressPlan6(cidr('fd00:7473:6373::/64'), { gateway: 'fd00:7473:6373::ff' });
  assert.is(text(pickAddress6(low, new Set())), 'fd00:7473:6373::1');
  const ranged = addressPlan6(cidr('fd00:7473:6373::/64'), { ipRange: 'fd00:7473:6373::/126' });
  assert.is(text(pickAddress6(ranged, new Set())), 'fd00:7473:6373::2', 'skips ::0 and ::1');
  assert.is(text(pickAddress6(ranged, ips('fd00:7473:6373::2'))), 'fd00:7473:6373::3');
  assert.is(pickAddress6(ranged, ips('fd00:7473:6373::2', 'fd00:7473:6373::3')), undefined);
});

test('IPv6 gateway, ip_range and ipv6_address are checked against the subnet', () => {
  const subnet = cidr('fd00:7473:6373::/64');
  assert.throws(() => addressPlan6(subnet, { gateway: 'fd00:7473:6373::' }), /not a host address/);
  assert.throws(() => addressPlan6(subnet, { gateway: 'fd00:7473:6374::1' }), /not a host/);
  assert.throws(() => addressPlan6(subnet, { ipRange: 'fd00:7473:6373::/63' }), /not inside/);
  assert.throws(() => addressPlan6(cidr('fd00::/127')), /too small/);
  const plan = addressPlan6(subnet);
  checkAddress6(plan, parseIp6('fd00:7473:6373::10'));
  assert.throws(() => checkAddress6(plan, parseIp6('fd00:7473:6373::1')), /is the gateway/);
  assert.throws(() => checkAddress6(plan, parseIp6('fd00:7473:6374::10')), /not a host address/);
});

test('an IPv6 subnet without enable_ipv6 is refused; enable_ipv6 alone takes one from the pool', () => {
  const base = { name: 'shop_back', project: 'shop' };
  assert.throws(
    () => describeSpec({ ...base, subnet6: 'fd00:1::/64' }),
    (err: unknown) =>
      err instanceof InvalidError &&
      err.message === 'network "shop_back" has an IPv6 subnet but IPv6 is not enabled',
  );
  assert.throws(
    () => describeSpec({ ...base, enableIpv6: true, gateway6: 'fd00:1::1' }),
    /IPv6 gateway or ip_range without an IPv6 subnet/,
  );
  assert.equal(describeSpec({ ...base, enableIpv6: true }).ipv6, {});
  assert.is(describeSpec(base).ipv6, undefined, 'IPv4 only, as before');
  assert.throws(
    () =>
      describeSpec({ ...base, enableIpv6: true, subnet6: 'fd00:1::/64', gateway6: 'fd00:2::1' }),
    /IPv6 gateway fd00:2::1 is not a host address/,
  );
});

test('a lease on an IPv6 network holds both addresses; ipv6_address needs IPv6', () => {
  const state = testEngine('tscompose-lease6-');
  try {
    const table = new NetworkTable(state.engine.db);
    const network = table.insert({
      name: 'shop_back',
      project: 'shop',
      bridge: 'tsc-0000aaaa',
      subnet: '10.213.4.0/24',
      gateway: '10.213.4.1',
      subnet6: 'fd00:7473:6373::/64',
      gateway6: 'fd00:7473:6373::1',
      internal: false,
      labels: {},
      driverOpts: {},
    });
    const plain = table.insert({
      name: 'shop_front',
      project: 'shop',
      bridge: 'tsc-0000bbbb',
      subnet: '10.213.5.0/24',
      gateway: '10.213.5.1',
      internal: false,
      labels: {},
      driverOpts: {},
    });
    const id = (n: number) => n.toString(16).padStart(64, '0');
    const first = leaseAddress(table, network, id(1), {}, []).lease;
    assert.equal([first.ip, first.ip6], ['10.213.4.2', 'fd00:7473:6373::2']);
    const fixed = leaseAddress(table, network, id(2), { ip6: 'fd00:7473:6373::0:99' }, []).lease;
    assert.is(fixed.ip6, 'fd00:7473:6373::99');
    const third = leaseAddress(table, network, id(3), {}, []).lease;
    assert.equal([third.ip, third.ip6], ['10.213.4.4', 'fd00:7473:6373::3']);
    assert.equal(table.lease(network.name, id(3))?.ip6, 'fd00:7473:6373::3', 'recorded');
    assert.throws(
      () => leaseAddress(table, network, id(4), { ip6: 'fd00:7473:6373::99' }, []),
      (err: unknown) => err instanceof ConflictError && /is held by container/.test(String(err)),
    );
    assert.throws(
      () => leaseAddress(table, network, id(1), { ip6: 'fd00:7473:6373::7' }, []),
      /holds fd00:7473:6373::2 on network "shop_back", not fd00:7473:6373::7/,
    );
    const v4 = leaseAddress(table, plain, id(1), {}, []).lease;
    assert.is(v4.ip6, undefined, 'an IPv4-only network leases no IPv6 address');
    assert.throws(
      () => leaseAddress(table, plain, id(5), { ip6: 'fd00::5' }, []),
      (err: unknown) => err instanceof InvalidError && /has no IPv6 subnet/.test(String(err)),
    );
  } finally {
    state.dispose();
  }
});

/** A host of recorded answers: `files` for cat, `sysctls` for sysctl -n and -w. */
function fakeHost(options: {
  files?: Record<string, string>;
  sysctls?: Record<string, string>;
  routes6?: unknown[];
  links?: unknown[];
  addresses6?: unknown[];
}) {
  const calls: string[] = [];
  const sysctls = { ...options.sysctls };
  const run: CommandRunner = async (command, args) => {
    calls.push([command, ...args].join(' '));
    if (command === 'cat') {
      const content = options.files?.[args[0]!];
      if (content === undefined) throw new CommandError(command, args, 1, 'No such file');
      return content;
    }
    if (command === 'sysctl' && args[0] === '-n') {
      const key = args[1]!.replaceAll('/', '.');
      return `${sysctls[key] ?? ''}\n`;
    }
    if (command === 'sysctl') {
      const [key, value] = args.at(-1)!.split('=') as [string, string];
      sysctls[key.replaceAll('/', '.')] = value;
      return '';
    }
    if (args.join(' ') === '-j -6 route show') return JSON.stringify(options.routes6 ?? []);
    if (args.join(' ') === '-j -d link show') return JSON.stringify(options.links ?? []);
    if (args.join(' ') === '-j -6 addr show') return JSON.stringify(options.addresses6 ?? []);
    throw new Error(`unexpected: ${command} ${args.join(' ')}`);
  };
  return { ip: new IpRoute(run), calls, sysctls };
}

test('IPv6 is unavailable on a kernel without it, or with all.disable_ipv6 = 1', async () => {
  const none = fakeHost({});
  assert.match((await ipv6Unavailable(none.ip)) ?? '', /no \/proc\/net\/if_inet6/);
  const off = fakeHost({
    files: { '/proc/net/if_inet6': '', '/proc/sys/net/ipv6/conf/all/disable_ipv6': '1\n' },
  });
  assert.is(
    await ipv6Unavailable(off.ip),
    'IPv6 is disabled on this host (net.ipv6.conf.all.disable_ipv6 = 1)',
  );
  const on = fakeHost({
    files: { '/proc/net/if_inet6': '', '/proc/sys/net/ipv6/conf/all/disable_ipv6': '0\n' },
  });
  assert.is(await ipv6Unavailable(on.ip), undefined);
});

test('IPv6 forwarding is turned on once, recorded, and put back when no bridge needs it', async () => {
  const state = testEngine('tscompose-forward6-');
  try {
    const { db } = state.engine;
    const bridge = { ifname: 'tsc-0000aaaa', ifalias: 'tscompose:shop:shop_back' };
    const host = fakeHost({
      sysctls: { 'net.ipv6.conf.all.forwarding': '0' },
      links: [{ ...bridge, linkinfo: { info_kind: 'bridge' } }],
      addresses6: [
        {
          ifname: 'tsc-0000aaaa',
          addr_info: [{ local: 'fd00::1', prefixlen: 64, scope: 'global' }],
        },
      ],
    });
    await enableIpv6Forwarding(host.ip, db, 'shop_back');
    assert.is(host.sysctls['net.ipv6.conf.all.forwarding'], '1');
    await enableIpv6Forwarding(host.ip, db, 'shop_back');
    assert.is(host.calls.filter((call) => call.includes('-w')).length, 1, 'written once');

    await putBackIpv6Forwarding(host.ip, db, { stillNeeded: true, leaving: [] });
    assert.is(host.sysctls['net.ipv6.conf.all.forwarding'], '1', 'another network needs it');
    await putBackIpv6Forwarding(host.ip, db, { stillNeeded: false, leaving: [] });
    assert.is(host.sysctls['net.ipv6.conf.all.forwarding'], '1', 'a bridge still has IPv6');
    await putBackIpv6Forwarding(host.ip, db, { stillNeeded: false, leaving: ['tsc-0000aaaa'] });
    assert.is(host.sysctls['net.ipv6.conf.all.forwarding'], '0', 'put back');
    const left = db.prepare('SELECT count(*) AS n FROM host_settings').get() as { n: number };
    assert.is(left.n, 0);

    const already = fakeHost({ sysctls: { 'net.ipv6.conf.all.forwarding': '1' } });
    await enableIpv6Forwarding(already.ip, db, 'shop_back');
    await putBackIpv6Forwarding(already.ip, db, { stillNeeded: false, leaving: [] });
    assert.not.ok(
      already.calls.some((call) => call.includes('-w')),
      'never changed, never put back',
    );
  } finally {
    state.dispose();
  }
});

test('a host that takes its IPv6 default route from router advertisements is not cut off', async () => {
  const state = testEngine('tscompose-ra6-');
  try {
    const host = fakeHost({
      sysctls: { 'net.ipv6.conf.all.forwarding': '0', 'net.ipv6.conf.eth0.accept_ra': '1' },
      routes6: [{ dst: 'default', gateway: 'fe80::1', dev: 'eth0', protocol: 'ra' }],
    });
    let failure: unknown;
    try {
      await enableIpv6Forwarding(host.ip, state.engine.db, 'shop_back');
    } catch (err) {
      failure = err;
    }
    assert.instance(failure, UnsupportedError);
    assert.match((failure as UnsupportedError).hint ?? '', 'net.ipv6.conf.eth0.accept_ra=2');
    assert.is(host.sysctls['net.ipv6.conf.all.forwarding'], '0');

    host.sysctls['net.ipv6.conf.eth0.accept_ra'] = '2';
    await enableIpv6Forwarding(host.ip, state.engine.db, 'shop_back');
    assert.is(host.sysctls['net.ipv6.conf.all.forwarding'], '1');
  } finally {
    state.dispose();
  }
});

test.run();
