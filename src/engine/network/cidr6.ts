import { isIPv6 } from 'node:net';
import { InvalidError } from '../../errors.js';
import { formatIPv6 } from '../dns/answer.js';

/** An IPv6 subnet: its first address as a 128-bit number, and its prefix length. */
export interface Cidr6 {
  base: bigint;
  prefix: number;
}

const EMBEDDED_IPV4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Whether an address or subnet is written as IPv6: the one test the compose file's text allows. */
export function isIpv6Text(text: string): boolean {
  return text.includes(':');
}

/** `fd00::2` as a number; `what` names the setting in the error. A zone (`%eth0`) is refused. */
export function parseIp6(text: string, what = 'address'): bigint {
  const trimmed = text.trim();
  if (!isIPv6(trimmed) || trimmed.includes('%')) {
    throw new InvalidError(`${what} "${text}" is not an IPv6 address`);
  }
  let body = trimmed;
  const tail: number[] = [];
  const v4 = EMBEDDED_IPV4.exec(trimmed);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    tail.push(a * 256 + b, c * 256 + d);
    body = trimmed.slice(0, -v4[0].length);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const [left, right] = body.split('::') as [string, string | undefined];
  const head = groups(left);
  const rest = right === undefined ? [] : groups(right);
  const all =
    right === undefined
      ? [...head, ...tail]
      : [
          ...head,
          ...new Array<number>(8 - head.length - rest.length - tail.length).fill(0),
          ...rest,
          ...tail,
        ];
  return all.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

/** RFC 5952 text: `fd00:7473:6373::1`. */
export function formatIp6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  return formatIPv6(groups);
}

/**
 * `fd00:7473:6373:1::/64`. As for IPv4, an address with host bits set is refused and the
 * hint names the subnet the user most likely meant; a bare address is a /128.
 */
export function parseCidr6(text: string, what = 'subnet'): Cidr6 {
  const [address, length, extra] = text.trim().split('/');
  if (address === undefined || extra !== undefined) {
    throw new InvalidError(`${what} "${text}" is not in CIDR form (an IPv6 address/n)`);
  }
  const prefix = length === undefined ? 128 : Number(length);
  if (!/^\d{1,3}$/.test(length ?? '128') || prefix > 128) {
    throw new InvalidError(`${what} "${text}" has an invalid prefix length`);
  }
  const value = parseIp6(address, what);
  const base = value & ~(size6({ base: 0n, prefix }) - 1n);
  if (base !== value) {
    const meant = formatCidr6({ base, prefix });
    throw new InvalidError(`${what} "${text}" has host bits set`, { hint: `use ${meant}` });
  }
  return { base, prefix };
}

export function formatCidr6(cidr: Cidr6): string {
  return `${formatIp6(cidr.base)}/${cidr.prefix}`;
}

/** How many addresses the subnet spans. */
export function size6(cidr: Cidr6): bigint {
  return 1n << BigInt(128 - cidr.prefix);
}

export function last6(cidr: Cidr6): bigint {
  return cidr.base + size6(cidr) - 1n;
}

export function contains6(cidr: Cidr6, address: bigint): boolean {
  return address >= cidr.base && address <= last6(cidr);
}

/** `inner` lies wholly inside `outer`. */
export function within6(inner: Cidr6, outer: Cidr6): boolean {
  return contains6(outer, inner.base) && contains6(outer, last6(inner));
}

/** Aligned blocks either nest or are apart: they overlap when either holds the other's base. */
export function overlaps6(a: Cidr6, b: Cidr6): boolean {
  return contains6(a, b.base) || contains6(b, a.base);
}
