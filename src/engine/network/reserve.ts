import { ConflictError, InvalidError } from '../../errors.js';
import { formatCidr, formatIp, parseCidr, type Cidr } from './cidr.js';
import { formatCidr6, formatIp6, parseCidr6, type Cidr6 } from './cidr6.js';
import { routedSubnets, routedSubnets6, type IpRoute } from './iproute.js';
import { BRIDGE_NAME_OPTION, MTU_OPTION, bridgeName, checkIfname } from './names.js';
import { addressPlan, checkSubnet, nextFreeSubnet, type Occupied } from './pool.js';
import { addressPlan6, checkSubnet6, nextFreeSubnet6, type Occupied6 } from './pool6.js';
import type { NetworkRecord, NetworkTable } from './records.js';
import type { NetworkSpec } from './spec.js';

/** What a spec asks for, checked before anything is reserved. */
export interface Wanted {
  bridge: string;
  mtu?: number;
  subnet?: Cidr;
  /** With `enable_ipv6`: the IPv6 subnet asked for, or undefined for one from the pool. */
  ipv6?: { subnet?: Cidr6 };
  driverOpts: Record<string, string>;
}

/** The host's routes, by family, as the address space they occupy. */
export interface HostRoutes {
  v4: readonly (Occupied & { dev?: string })[];
  v6: readonly (Occupied6 & { dev?: string })[];
}

/** The host's routes; its IPv6 ones only when a network with IPv6 is to be placed. */
export async function hostRoutes(ip: IpRoute, ipv6: boolean): Promise<HostRoutes> {
  const owner = (route: { dev?: string }) =>
    route.dev ? `the host's route on ${route.dev}` : "the host's routes";
  const v4 = routedSubnets(await ip.routes()).map(({ cidr, route }) => ({
    cidr,
    dev: route.dev,
    owner: owner(route),
  }));
  if (!ipv6) return { v4, v6: [] };
  const v6 = routedSubnets6(await ip.routes6()).map(({ cidr, route }) => ({
    cidr,
    dev: route.dev,
    owner: owner(route),
  }));
  return { v4, v6 };
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
  return { bridge, mtu, subnet, ipv6: describeIpv6(spec), driverOpts };
}

function describeIpv6(spec: NetworkSpec): Wanted['ipv6'] {
  const given = [spec.subnet6, spec.gateway6, spec.ipRange6].some((value) => value !== undefined);
  if (!spec.enableIpv6) {
    if (!given) return undefined;
    throw new InvalidError(`network "${spec.name}" has an IPv6 subnet but IPv6 is not enabled`, {
      hint: 'set enable_ipv6: true on the network, or remove the IPv6 ipam config',
    });
  }
  if (spec.subnet6 === undefined) {
    if (given) {
      throw new InvalidError(
        `network "${spec.name}" sets an IPv6 gateway or ip_range without an IPv6 subnet`,
        { hint: 'give the IPv6 subnet in the same ipam.config entry' },
      );
    }
    return {};
  }
  const subnet = parseCidr6(spec.subnet6, 'IPv6 subnet');
  addressPlan6(subnet, { gateway: spec.gateway6, ipRange: spec.ipRange6 });
  return { subnet };
}

/**
 * Inside the caller's transaction: the subnet checked (explicit) or chosen (from the pool)
 * against every other network and the host's routes, and the network recorded.
 */
export function reserveNetwork(
  table: NetworkTable,
  spec: NetworkSpec,
  wanted: Wanted,
  pools: { v4: readonly Cidr[]; v6: readonly Cidr6[] },
  hostRoutes: HostRoutes,
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
  const notOurs = (route: { dev?: string }) => route.dev === undefined || !bridges.has(route.dev);
  const occupied: Occupied[] = [
    ...others.map((other) => ({ cidr: parseCidr(other.subnet), owner: `network "${other.name}"` })),
    ...hostRoutes.v4.filter(notOurs),
  ];
  let subnet = wanted.subnet;
  if (subnet) checkSubnet(spec.name, subnet, occupied);
  else subnet = nextFreeSubnet(pools.v4, occupied);
  const plan = addressPlan(subnet, spec);
  const v6 =
    wanted.ipv6 && reserveIpv6(spec, wanted.ipv6, others, pools.v6, hostRoutes.v6.filter(notOurs));
  return table.insert({
    name: spec.name,
    project: spec.project,
    bridge: wanted.bridge,
    subnet: formatCidr(subnet),
    gateway: formatIp(plan.gateway),
    ipRange: spec.ipRange,
    ...v6,
    internal: spec.internal ?? false,
    mtu: wanted.mtu,
    labels: spec.labels ?? {},
    driverOpts: wanted.driverOpts,
  });
}

/** The IPv6 subnet, checked against the other networks' and the host's, or the pool's next. */
function reserveIpv6(
  spec: NetworkSpec,
  wanted: NonNullable<Wanted['ipv6']>,
  others: readonly NetworkRecord[],
  pool: readonly Cidr6[],
  hostRoutes: readonly Occupied6[],
): Pick<NetworkRecord, 'subnet6' | 'gateway6' | 'ipRange6'> {
  const occupied: Occupied6[] = [
    ...others.flatMap((other) =>
      other.subnet6 === undefined
        ? []
        : [{ cidr: parseCidr6(other.subnet6), owner: `network "${other.name}"` }],
    ),
    ...hostRoutes,
  ];
  let subnet = wanted.subnet;
  if (subnet) checkSubnet6(spec.name, subnet, occupied);
  else subnet = nextFreeSubnet6(pool, occupied);
  const plan = addressPlan6(subnet, { gateway: spec.gateway6, ipRange: spec.ipRange6 });
  return {
    subnet6: formatCidr6(subnet),
    gateway6: formatIp6(plan.gateway),
    ipRange6: plan.range && formatCidr6(plan.range),
  };
}
