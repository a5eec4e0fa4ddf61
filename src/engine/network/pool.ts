import { ConflictError, InvalidError } from '../../errors.js';
import {
  contains,
  formatCidr,
  formatIp,
  last,
  overlaps,
  parseCidr,
  split,
  within,
  type Cidr,
} from './cidr.js';

/** Address space already in use, and who uses it, in words for an error message. */
export interface Occupied {
  cidr: Cidr;
  /** `network "shop_back"`, `the host's route on eth0`. */
  owner: string;
}

/** The default pool, as Podman's: distinct from Docker's 172.17.0.0/16 and its successors. */
export const DEFAULT_POOL = ['10.89.0.0/16'];

/** The pool's entries cut into /24s, in order: the subnets a network gets when it names none. */
export function poolSubnets(pool: readonly string[]): Cidr[] {
  return pool.flatMap((entry) => split(parseCidr(entry, 'address pool entry'), 24));
}

/** Refuses an explicit subnet that overlaps anything in use, naming both. */
export function checkSubnet(network: string, subnet: Cidr, occupied: readonly Occupied[]): void {
  const clash = occupied.find((other) => overlaps(subnet, other.cidr));
  if (!clash) return;
  throw new ConflictError(
    `subnet ${formatCidr(subnet)} of network "${network}" overlaps ${formatCidr(clash.cidr)} of ${clash.owner}`,
    { hint: 'choose another subnet (ipam.config[0].subnet), or remove the other network' },
  );
}

/** The first subnet of the pool that overlaps nothing in use. */
export function nextFreeSubnet(pool: readonly Cidr[], occupied: readonly Occupied[]): Cidr {
  const free = pool.find((subnet) => !occupied.some((other) => overlaps(subnet, other.cidr)));
  if (free) return free;
  throw new ConflictError('the address pool of the engine is exhausted', {
    hint: 'remove unused networks, or give the network a subnet of its own (ipam.config)',
  });
}

/** Where a network's addresses come from. */
export interface AddressPlan {
  subnet: Cidr;
  gateway: number;
  /** `ip_range`: dynamic leases come from here only. */
  range?: Cidr;
}

/** Checks a network's gateway and ip_range against its subnet; the gateway defaults to the first address. */
export function addressPlan(
  subnet: Cidr,
  options: { gateway?: string; ipRange?: string } = {},
): AddressPlan {
  if (subnet.prefix > 30) {
    throw new InvalidError(`subnet ${formatCidr(subnet)} is too small for a network`, {
      hint: 'a network needs at least a /30: a gateway and one container',
    });
  }
  const gateway = options.gateway === undefined ? subnet.base + 1 : parseHost(options.gateway);
  if (!isHost(subnet, gateway)) {
    throw new InvalidError(
      `gateway ${formatIp(gateway)} is not a host address of subnet ${formatCidr(subnet)}`,
    );
  }
  const range = options.ipRange === undefined ? undefined : parseCidr(options.ipRange, 'ip_range');
  if (range && !within(range, subnet)) {
    throw new InvalidError(
      `ip_range ${formatCidr(range)} is not inside subnet ${formatCidr(subnet)}`,
    );
  }
  return range ? { subnet, gateway, range } : { subnet, gateway };
}

/** The lowest address of the range that is a host address, not the gateway and not taken. */
export function pickAddress(plan: AddressPlan, taken: ReadonlySet<number>): number | undefined {
  const from = plan.range ?? plan.subnet;
  for (let address = from.base; address <= last(from); address += 1) {
    if (isHost(plan.subnet, address) && address !== plan.gateway && !taken.has(address)) {
      return address;
    }
  }
  return undefined;
}

/** An address a container asks for (`ipv4_address`): in the subnet, a host, not the gateway. */
export function checkAddress(plan: AddressPlan, address: number): void {
  const subnet = formatCidr(plan.subnet);
  if (!isHost(plan.subnet, address)) {
    throw new InvalidError(`address ${formatIp(address)} is not a host address of ${subnet}`);
  }
  if (address === plan.gateway) {
    throw new InvalidError(`address ${formatIp(address)} is the gateway of ${subnet}`);
  }
}

/** Inside the subnet, and neither its network nor its broadcast address. */
function isHost(subnet: Cidr, address: number): boolean {
  return contains(subnet, address) && address !== subnet.base && address !== last(subnet);
}

function parseHost(text: string): number {
  return parseCidr(text.split('/')[0]!, 'gateway').base;
}
