import { ConflictError, InvalidError } from '../../errors.js';
import { formatCidr, formatIp, parseCidr, type Cidr } from './cidr.js';
import { BRIDGE_NAME_OPTION, MTU_OPTION, bridgeName, checkIfname } from './names.js';
import { addressPlan, checkSubnet, nextFreeSubnet, type Occupied } from './pool.js';
import type { NetworkRecord, NetworkTable } from './records.js';
import type { NetworkSpec } from './spec.js';

/** What a spec asks for, checked before anything is reserved. */
export interface Wanted {
  bridge: string;
  mtu?: number;
  subnet?: Cidr;
  driverOpts: Record<string, string>;
}

export function describeSpec(spec: NetworkSpec): Wanted {
  const driverOpts = spec.driverOpts ?? {};
  const bridge = driverOpts[BRIDGE_NAME_OPTION] ?? bridgeName(spec.name);
  checkIfname(bridge, `bridge name of network "${spec.name}"`);
  const mtuText = driverOpts[MTU_OPTION];
  const mtu = mtuText === undefined ? undefined : Number(mtuText);
  if (mtu !== undefined && !(Number.isInteger(mtu) && mtu >= 68 && mtu <= 65535)) {
    throw new InvalidError(`${MTU_OPTION} of network "${spec.name}" is not an MTU: ${mtuText}`);
  }
  if (spec.subnet === undefined && (spec.gateway ?? spec.ipRange) !== undefined) {
    throw new InvalidError(`network "${spec.name}" sets a gateway or ip_range without a subnet`, {
      hint: 'give ipam.config[0].subnet as well',
    });
  }
  const subnet = spec.subnet === undefined ? undefined : parseCidr(spec.subnet);
  if (subnet) addressPlan(subnet, spec);
  return { bridge, mtu, subnet, driverOpts };
}

/**
 * Inside the caller's transaction: the subnet checked (explicit) or chosen (from the pool)
 * against every other network and the host's routes, and the network recorded.
 */
export function reserveNetwork(
  table: NetworkTable,
  spec: NetworkSpec,
  wanted: Wanted,
  pool: readonly Cidr[],
  hostRoutes: readonly (Occupied & { dev?: string })[],
): NetworkRecord {
  const others = table.list();
  const clash = others.find((other) => other.bridge === wanted.bridge);
  if (clash) {
    throw new ConflictError(`bridge ${wanted.bridge} already belongs to network "${clash.name}"`, {
      hint: `choose another ${BRIDGE_NAME_OPTION}`,
    });
  }
  // The route of an engine bridge is that network's: it is named as the network instead.
  const bridges = new Set(others.map((other) => other.bridge));
  const occupied: Occupied[] = [
    ...others.map((other) => ({ cidr: parseCidr(other.subnet), owner: `network "${other.name}"` })),
    ...hostRoutes.filter((route) => route.dev === undefined || !bridges.has(route.dev)),
  ];
  let subnet = wanted.subnet;
  if (subnet) checkSubnet(spec.name, subnet, occupied);
  else subnet = nextFreeSubnet(pool, occupied);
  const plan = addressPlan(subnet, spec);
  return table.insert({
    name: spec.name,
    project: spec.project,
    bridge: wanted.bridge,
    subnet: formatCidr(subnet),
    gateway: formatIp(plan.gateway),
    ipRange: spec.ipRange,
    internal: spec.internal ?? false,
    mtu: wanted.mtu,
    labels: spec.labels ?? {},
    driverOpts: wanted.driverOpts,
  });
}
