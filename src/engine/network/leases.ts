import { ConflictError, InvalidError } from '../../errors.js';
import { formatIp, parseCidr, parseIp } from './cidr.js';
import { checkIfname, macFor, vethName } from './names.js';
import { addressPlan, checkAddress, pickAddress } from './pool.js';
import type { Lease, NetworkRecord, NetworkTable } from './records.js';

export interface LeaseRequest {
  /** `ipv4_address`; else the lowest free address of the network's range. */
  ip?: string;
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
  const id12 = containerId.slice(0, 12);
  return table.db
    .transaction(() => {
      const held = table.lease(network.name, containerId);
      if (held) {
        if (asked !== undefined && held.ip !== formatIp(asked)) {
          throw new ConflictError(
            `container ${id12} holds ${held.ip} on network "${network.name}", not ${formatIp(asked)}`,
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
      const used = new Set([...present, ...table.leasesOf(containerId).map((l) => l.ifname)]);
      const lease = table.insertLease({
        network: network.name,
        containerId,
        ip: formatIp(address),
        mac: (request.mac ?? macFor(address)).toLowerCase(),
        ifname: request.ifname ?? firstFree(used),
        hostIfname: vethName(containerId, network.name),
      });
      return { lease, created: true };
    })
    .immediate();
}

function firstFree(used: ReadonlySet<string>): string {
  let n = 0;
  while (used.has(`eth${n}`)) n += 1;
  return `eth${n}`;
}
