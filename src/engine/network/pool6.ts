import { ConflictError, InvalidError } from '../../errors.js';
import {
  contains6,
  formatCidr6,
  formatIp6,
  last6,
  overlaps6,
  parseCidr6,
  parseIp6,
  size6,
  within6,
  type Cidr6,
} from './cidr6.js';

/** IPv6 address space in use, and who uses it, in words for an error message. */
export interface Occupied6 {
  cidr: Cidr6;
  owner: string;
}

/**
 * Where a network with `enable_ipv6` and no IPv6 subnet of its own takes one: a /48 of
 * unique local addresses ("tscs" in its global ID), cut into /64s. Not fd00::/64, which
 * hosts and VMs often use for their own link.
 */
export const DEFAULT_POOL6 = ['fd00:7473:6373::/48'];

/** The size of a pooled IPv6 subnet: a /64, as Docker's default pools give. */
const POOLED_PREFIX = 64;

export function poolEntries6(pool: readonly string[]): Cidr6[] {
  return pool.map((entry) => parseCidr6(entry, 'IPv6 address pool entry'));
}

/** Refuses an explicit IPv6 subnet that overlaps anything in use, naming both. */
export function checkSubnet6(network: string, subnet: Cidr6, occupied: readonly Occupied6[]) {
  const clash = occupied.find((other) => overlaps6(subnet, other.cidr));
  if (!clash) return;
  throw new ConflictError(
    `IPv6 subnet ${formatCidr6(subnet)} of network "${network}" overlaps ${formatCidr6(clash.cidr)} of ${clash.owner}`,
    { hint: 'choose another IPv6 subnet in ipam.config, or remove the other network' },
  );
}

/**
 * The first /64 of the pool that overlaps nothing in use (an entry smaller than a /64 is
 * one subnet). Occupied space wider than a /64 is stepped over whole, so a large pool with
 * a large route in it is not walked one /64 at a time.
 */
export function nextFreeSubnet6(pool: readonly Cidr6[], occupied: readonly Occupied6[]): Cidr6 {
  for (const entry of pool) {
    const prefix = Math.max(entry.prefix, POOLED_PREFIX);
    const step = size6({ base: 0n, prefix });
    for (let base = entry.base; base <= last6(entry);) {
      const block = { base, prefix };
      const clash = occupied.find((other) => overlaps6(block, other.cidr));
      if (!clash) return block;
      base = clash.cidr.prefix < prefix ? last6(clash.cidr) + 1n : base + step;
    }
  }
  throw new ConflictError('the IPv6 address pool of the engine is exhausted', {
    hint: 'remove unused IPv6 networks, or give the network an IPv6 subnet of its own (ipam.config)',
  });
}

/** Where a network's IPv6 addresses come from. */
export interface AddressPlan6 {
  subnet: Cidr6;
  gateway: bigint;
  range?: Cidr6;
}

/**
 * Checks the IPv6 gateway and ip_range against the subnet; the gateway defaults to the first
 * address after the subnet's own (the subnet-router anycast address, never handed out).
 */
export function addressPlan6(
  subnet: Cidr6,
  options: { gateway?: string; ipRange?: string } = {},
): AddressPlan6 {
  if (subnet.prefix > 126) {
    throw new InvalidError(`IPv6 subnet ${formatCidr6(subnet)} is too small for a network`, {
      hint: 'a network needs at least a /126: a gateway and one container',
    });
  }
  const gateway =
    options.gateway === undefined
      ? subnet.base + 1n
      : parseIp6(options.gateway.split('/')[0]!, 'IPv6 gateway');
  if (!isHost6(subnet, gateway)) {
    throw new InvalidError(
      `IPv6 gateway ${formatIp6(gateway)} is not a host address of subnet ${formatCidr6(subnet)}`,
    );
  }
  const range =
    options.ipRange === undefined ? undefined : parseCidr6(options.ipRange, 'IPv6 ip_range');
  if (range && !within6(range, subnet)) {
    throw new InvalidError(
      `IPv6 ip_range ${formatCidr6(range)} is not inside subnet ${formatCidr6(subnet)}`,
    );
  }
  return range ? { subnet, gateway, range } : { subnet, gateway };
}

/** The lowest address of the range that is a host address, not the gateway and not taken. */
export function pickAddress6(plan: AddressPlan6, taken: ReadonlySet<bigint>): bigint | undefined {
  const from = plan.range ?? plan.subnet;
  const end = last6(from);
  for (let address = from.base; address <= end; address += 1n) {
    if (isHost6(plan.subnet, address) && address !== plan.gateway && !taken.has(address)) {
      return address;
    }
  }
  return undefined;
}

/** An address a container asks for (`ipv6_address`): in the subnet, a host, not the gateway. */
export function checkAddress6(plan: AddressPlan6, address: bigint): void {
  const subnet = formatCidr6(plan.subnet);
  if (!isHost6(plan.subnet, address)) {
    throw new InvalidError(`ipv6_address ${formatIp6(address)} is not a host address of ${subnet}`);
  }
  if (address === plan.gateway) {
    throw new InvalidError(`ipv6_address ${formatIp6(address)} is the gateway of ${subnet}`);
  }
}

/** Inside the subnet and not its first address. IPv6 has no broadcast address to skip. */
function isHost6(subnet: Cidr6, address: bigint): boolean {
  return contains6(subnet, address) && address !== subnet.base;
}
