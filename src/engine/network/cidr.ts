import { InvalidError } from '../../errors.js';

/** An IPv4 subnet: its first address as an unsigned 32-bit number, and its prefix length. */
export interface Cidr {
  base: number;
  prefix: number;
}

const OCTETS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** `10.89.0.1` as a number; `what` names the setting in the error. */
export function parseIp(text: string, what = 'address'): number {
  const match = OCTETS.exec(text.trim());
  const octets = match?.slice(1).map(Number);
  if (!octets || octets.some((octet) => octet > 255)) {
    if (text.includes(':')) throw ipv6Here(text, what);
    throw new InvalidError(`${what} "${text}" is not an IPv4 address`);
  }
  return octets.reduce((value, octet) => value * 256 + octet, 0);
}

export function formatIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/**
 * `10.90.3.0/24`. An address with host bits set is refused, as Docker refuses it: the user
 * most likely meant the subnet the hint names. A bare address is a /32.
 */
export function parseCidr(text: string, what = 'subnet'): Cidr {
  const [address, length, extra] = text.trim().split('/');
  if (address === undefined || extra !== undefined) {
    throw new InvalidError(`${what} "${text}" is not in CIDR form (a.b.c.d/n)`);
  }
  if (address.includes(':')) throw ipv6Here(text, what);
  const prefix = length === undefined ? 32 : Number(length);
  if (!/^\d{1,2}$/.test(length ?? '32') || prefix > 32) {
    throw new InvalidError(`${what} "${text}" has an invalid prefix length`);
  }
  const value = parseIp(address, what);
  const base = value - (value % size({ base: 0, prefix }));
  if (base !== value) {
    const meant = formatCidr({ base, prefix });
    throw new InvalidError(`${what} "${text}" has host bits set`, { hint: `use ${meant}` });
  }
  return { base, prefix };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.base)}/${cidr.prefix}`;
}

/** How many addresses the subnet spans. */
export function size(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

/** The last address: the broadcast address of a subnet. */
export function last(cidr: Cidr): number {
  return cidr.base + size(cidr) - 1;
}

export function contains(cidr: Cidr, address: number): boolean {
  return address >= cidr.base && address <= last(cidr);
}

/** `inner` lies wholly inside `outer`. */
export function within(inner: Cidr, outer: Cidr): boolean {
  return contains(outer, inner.base) && contains(outer, last(inner));
}

/** Aligned blocks either nest or are apart: they overlap when either holds the other's base. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b.base) || contains(b, a.base);
}

/** The subnet cut into blocks of `prefix` (a pool of /24s from a /16); a smaller one stays whole. */
export function split(cidr: Cidr, prefix: number): Cidr[] {
  if (cidr.prefix >= prefix) return [cidr];
  const step = size({ base: 0, prefix });
  const blocks: Cidr[] = [];
  for (let base = cidr.base; base <= last(cidr); base += step) blocks.push({ base, prefix });
  return blocks;
}

/** IPv6 text where IPv4 belongs: a network's IPv6 subnet and addresses are settings of their own. */
function ipv6Here(text: string, what: string): InvalidError {
  return new InvalidError(`${what} "${text}" is IPv6 where an IPv4 one is expected`, {
    hint: 'give IPv6 subnets and addresses with enable_ipv6 (subnet6, ipv6_address)',
  });
}
