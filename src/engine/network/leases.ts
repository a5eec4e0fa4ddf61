import { ConflictError, InvalidError } from '../../errors.js';
import { formatIp, parseCidr, parseIp } from './cidr.js';
import { formatIp6, parseCidr6, parseIp6 } from './cidr6.js';
import { checkIfname, macFor, vethName } from './names.js';
import { addressPlan, checkAddress, pickAddress } from './pool.js';
import { addressPlan6, checkAddress6, pickAddress6, type AddressPlan6 } from './pool6.js';
import type { Lease, NetworkRecord, NetworkTable } from './records.js';

export interface LeaseRequest {
  /** `ipv4_address`; else the lowest free address of the network's range. */
  ip?: string;
  /** `ipv6_address`, on a network with IPv6; else the lowest free one of its IPv6 range. */
  ip6?: string;
  /** `mac_address`; else 02:42 followed by the address, as Docker made them. */
  mac?: string;
  /** eth0, eth1…: the first one free in the namespace when absent. */
  ifname?: string;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/**
 * The container's lease on the network: the one it holds already, or a new one. One
 * immediate transaction reads the taken addresses and inserts the new one, so two processes
 * never hand out one address (the primary key on network and ip would refuse it anyway).
 */
export function leaseAddress(
  table: NetworkTable,
  network: NetworkRecord,
  containerId: string,
  request: LeaseRequest,
  /** Interface names already in the container's namespace. */
  present: readonly string[],
): { lease: Lease; created: boolean } {
  if (request.ifname !== undefined) checkIfname(request.ifname, 'interface name');
  if (request.mac !== undefined && !MAC.test(request.mac)) {
    throw new InvalidError(`"${request.mac}" is not a MAC address`);
  }
  const plan = addressPlan(parseCidr(network.subnet), network);
  const asked = request.ip === undefined ? undefined : parseIp(request.ip, 'ipv4_address');
  if (asked !== undefined) checkAddress(plan, asked);
  const plan6 = ipv6Plan(network, request);
  const asked6 = request.ip6 === undefined ? undefined : parseIp6(request.ip6, 'ipv6_address');
  if (plan6 && asked6 !== undefined) checkAddress6(plan6, asked6);
  const id12 = containerId.slice(0, 12);
  return table.db
    .transaction(() => {
      const held = table.lease(network.name, containerId);
      if (held) {
        const wanted = [
          [held.ip, asked === undefined ? undefined : formatIp(asked)],
          [held.ip6, asked6 === undefined ? undefined : formatIp6(asked6)],
        ];
        for (const [has, want] of wanted) {
          if (want === undefined || has === want) continue;
          throw new ConflictError(
            `container ${id12} holds ${has ?? 'no address'} on network "${network.name}", not ${want}`,
            { hint: 'delete its namespace first to change its address' },
          );
        }
        return { lease: held, created: false };
      }
      const leases = table.leases(network.name);
      const address = asked ?? pickAddress(plan, new Set(leases.map((l) => parseIp(l.ip))));
      if (address === undefined) {
        throw new ConflictError(`network "${network.name}" has no free address left`, {
          hint: 'give it a larger subnet or ip_range',
        });
      }
      const holder = leases.find((lease) => lease.ip === formatIp(address));
      if (holder) {
        throw new ConflictError(
          `address ${formatIp(address)} on network "${network.name}" is held by container ${holder.containerId.slice(0, 12)}`,
          { hint: 'choose another ipv4_address, or leave it out to get a free one' },
        );
      }
      const address6 = plan6 && leaseAddress6(network, plan6, asked6, leases);
      const used = new Set([...present, ...table.leasesOf(containerId).map((l) => l.ifname)]);
      const lease = table.insertLease({
        network: network.name,
        containerId,
        ip: formatIp(address),
        ip6: address6 === undefined ? undefined : formatIp6(address6),
        mac: (request.mac ?? macFor(address)).toLowerCase(),
        ifname: request.ifname ?? firstFree(used),
        hostIfname: vethName(containerId, network.name),
      });
      return { lease, created: true };
    })
    .immediate();
}

/** The network's IPv6 plan; an ipv6_address on a network without IPv6 is refused. */
function ipv6Plan(network: NetworkRecord, request: LeaseRequest): AddressPlan6 | undefined {
  if (network.subnet6 === undefined) {
    if (request.ip6 === undefined) return undefined;
    throw new InvalidError(
      `ipv6_address ${request.ip6} is given, but network "${network.name}" has no IPv6 subnet`,
      { hint: 'set enable_ipv6: true on the network, or remove ipv6_address' },
    );
  }
  return addressPlan6(parseCidr6(network.subnet6), {
    gateway: network.gateway6,
    ipRange: network.ipRange6,
  });
}

/** Inside the lease transaction: the asked-for IPv6 address if free, else the lowest free one. */
function leaseAddress6(
  network: NetworkRecord,
  plan: AddressPlan6,
  asked: bigint | undefined,
  leases: readonly Lease[],
): bigint {
  const taken = new Set(leases.flatMap((l) => (l.ip6 === undefined ? [] : [parseIp6(l.ip6)])));
  const address = asked ?? pickAddress6(plan, taken);
  if (address === undefined) {
    throw new ConflictError(`network "${network.name}" has no free IPv6 address left`, {
      hint: 'give it a larger IPv6 subnet or ip_range',
    });
  }
  const holder = leases.find((lease) => lease.ip6 === formatIp6(address));
  if (holder) {
    throw new ConflictError(
      `address ${formatIp6(address)} on network "${network.name}" is held by container ${holder.containerId.slice(0, 12)}`,
      { hint: 'choose another ipv6_address, or leave it out to get a free one' },
    );
  }
  return address;
}

function firstFree(used: ReadonlySet<string>): string {
  let n = 0;
  while (used.has(`eth${n}`)) n += 1;
  return `eth${n}`;
}
