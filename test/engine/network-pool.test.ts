// The address arithmetic of the network layer: CIDR parsing, overlap, the pool's next free
// /24, and lease allocation that skips the network, broadcast and gateway addresses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  formatCidr,
  formatIp,
  overlaps,
  parseCidr,
  parseIp,
  split,
  within,
} from '../../src/engine/network/cidr.js';
import { macFor, bridgeName, vethName, netnsName } from '../../src/engine/network/names.js';
import {
  addressPlan,
  checkAddress,
  checkSubnet,
  nextFreeSubnet,
  pickAddress,
  poolSubnets,
} from '../../src/engine/network/pool.js';
import { ConflictError, InvalidError } from '../../src/errors.js';

const cidr = (text: string) => parseCidr(text);
const ips = (...texts: string[]) => new Set(texts.map((text) => parseIp(text)));

test('addresses and subnets parse and print back', () => {
  assert.is(parseIp('10.89.0.1'), 10 * 2 ** 24 + 89 * 2 ** 16 + 1);
  assert.is(formatIp(parseIp('255.255.255.255')), '255.255.255.255');
  assert.equal(cidr('10.90.3.0/24'), { base: parseIp('10.90.3.0'), prefix: 24 });
  assert.is(formatCidr(cidr('0.0.0.0/0')), '0.0.0.0/0');
  assert.is(formatCidr(cidr('192.0.2.7')), '192.0.2.7/32');
});

test('malformed subnets are refused with what is wrong', () => {
  assert.throws(
    () => parseIp('10.89.0.256'),
    (err: unknown) => err instanceof InvalidError,
  );
  assert.throws(() => parseCidr('10.89.0.0/33'), /invalid prefix length/);
  assert.throws(() => parseCidr('10.89.0.0/24/1'), /CIDR form/);
  assert.throws(
    () => parseCidr('fd00::/64'),
    (err: unknown) =>
      err instanceof InvalidError &&
      err.message === 'subnet "fd00::/64" is IPv6 where an IPv4 one is expected',
  );
  try {
    parseCidr('10.90.3.5/24');
    assert.unreachable('host bits were accepted');
  } catch (err) {
    assert.instance(err, InvalidError);
    assert.is((err as InvalidError).message, 'subnet "10.90.3.5/24" has host bits set');
    assert.is((err as InvalidError).hint, 'use 10.90.3.0/24');
  }
});

test('overlap: nested and equal subnets overlap, neighbours do not', () => {
  assert.ok(overlaps(cidr('10.0.0.0/8'), cidr('10.213.4.0/24')));
  assert.ok(overlaps(cidr('10.213.4.0/24'), cidr('10.0.0.0/8')));
  assert.ok(overlaps(cidr('10.213.4.0/24'), cidr('10.213.4.128/25')));
  assert.not.ok(overlaps(cidr('10.213.4.0/24'), cidr('10.213.5.0/24')));
  assert.not.ok(overlaps(cidr('10.213.4.0/25'), cidr('10.213.4.128/25')));
  assert.ok(within(cidr('10.213.4.16/28'), cidr('10.213.4.0/24')));
  assert.not.ok(within(cidr('10.213.4.0/23'), cidr('10.213.4.0/24')));
});

test('a pool is cut into /24s; a smaller entry stays whole', () => {
  const subnets = poolSubnets(['10.89.0.0/22', '10.213.9.0/25']).map(formatCidr);
  assert.equal(subnets, [
    '10.89.0.0/24',
    '10.89.1.0/24',
    '10.89.2.0/24',
    '10.89.3.0/24',
    '10.213.9.0/25',
  ]);
  assert.is(split(cidr('10.89.0.0/16'), 24).length, 256);
});

test('the next free /24 skips what networks and host routes occupy', () => {
  const pool = poolSubnets(['10.89.0.0/22']);
  const occupied = [
    { cidr: cidr('10.89.0.0/24'), owner: 'network "a"' },
    { cidr: cidr('10.89.1.128/25'), owner: "the host's route 10.89.1.128/25 dev eth1" },
  ];
  assert.is(formatCidr(nextFreeSubnet(pool, occupied)), '10.89.2.0/24');
  const full = [{ cidr: cidr('10.89.0.0/16'), owner: "the host's route 10.89.0.0/16" }];
  assert.throws(() => nextFreeSubnet(pool, full), /address pool of the engine is exhausted/);
});

test('an explicit subnet that overlaps is refused, naming both', () => {
  const occupied = [{ cidr: cidr('10.213.0.0/16'), owner: 'network "shop_back"' }];
  try {
    checkSubnet('shop_front', cidr('10.213.7.0/24'), occupied);
    assert.unreachable('the overlap was accepted');
  } catch (err) {
    assert.instance(err, ConflictError);
    assert.is(
      (err as ConflictError).message,
      'subnet 10.213.7.0/24 of network "shop_front" overlaps 10.213.0.0/16 of network "shop_back"',
    );
  }
  checkSubnet('shop_front', cidr('10.214.7.0/24'), occupied);
});

test('gateway defaults to the first address; gateway and ip_range are checked', () => {
  const subnet = cidr('10.213.4.0/24');
  assert.is(formatIp(addressPlan(subnet).gateway), '10.213.4.1');
  assert.is(formatIp(addressPlan(subnet, { gateway: '10.213.4.254' }).gateway), '10.213.4.254');
  assert.throws(() => addressPlan(subnet, { gateway: '10.213.4.255' }), /not a host address/);
  assert.throws(() => addressPlan(subnet, { gateway: '10.213.5.1' }), /not a host address/);
  assert.throws(() => addressPlan(subnet, { ipRange: '10.213.0.0/16' }), /not inside subnet/);
  assert.throws(() => addressPlan(cidr('10.213.4.0/31')), /too small/);
});

test('leases skip the network, broadcast and gateway addresses and what is taken', () => {
  const plan = addressPlan(cidr('10.213.4.0/30'));
  assert.is(formatIp(pickAddress(plan, new Set())!), '10.213.4.2');
  assert.is(pickAddress(plan, ips('10.213.4.2')), undefined);

  const wide = addressPlan(cidr('10.213.4.0/24'), { gateway: '10.213.4.2' });
  assert.is(formatIp(pickAddress(wide, new Set())!), '10.213.4.1');
  assert.is(formatIp(pickAddress(wide, ips('10.213.4.1'))!), '10.213.4.3');
});

test('with an ip_range, leases come from it only; a released address is the next one', () => {
  const plan = addressPlan(cidr('10.213.4.0/24'), { ipRange: '10.213.4.0/30' });
  assert.is(formatIp(pickAddress(plan, new Set())!), '10.213.4.2');
  assert.is(formatIp(pickAddress(plan, ips('10.213.4.2'))!), '10.213.4.3');
  assert.is(pickAddress(plan, ips('10.213.4.2', '10.213.4.3')), undefined);
  const top = addressPlan(cidr('10.213.4.0/24'), { ipRange: '10.213.4.252/30' });
  assert.is(formatIp(pickAddress(top, ips('10.213.4.252', '10.213.4.253'))!), '10.213.4.254');
  assert.is(pickAddress(top, ips('10.213.4.252', '10.213.4.253', '10.213.4.254')), undefined);
});

test('an address asked for must be a host of the subnet and not the gateway', () => {
  const plan = addressPlan(cidr('10.213.4.0/24'));
  checkAddress(plan, parseIp('10.213.4.9'));
  assert.throws(() => checkAddress(plan, parseIp('10.213.4.1')), /is the gateway/);
  assert.throws(() => checkAddress(plan, parseIp('10.213.4.0')), /not a host address/);
  assert.throws(() => checkAddress(plan, parseIp('10.213.5.9')), /not a host address/);
});

test('link names fit in 15 characters; MACs are made of the address', () => {
  const id = 'ab'.repeat(32);
  assert.match(bridgeName('shop_default'), /^tsc-[0-9a-f]{8}$/);
  assert.is(bridgeName('shop_default'), bridgeName('shop_default'));
  assert.is(netnsName(id), 'tsc-abababababab');
  assert.ok(vethName(id, 'shop_default').length <= 15);
  assert.is.not(vethName(id, 'shop_default'), vethName(id, 'shop_back'));
  assert.is(macFor(parseIp('10.89.0.2')), '02:42:0a:59:00:02');
});

test.run();
