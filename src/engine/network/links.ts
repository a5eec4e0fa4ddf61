import { ConflictError } from '../../errors.js';
import { CommandError } from './commands.js';
import { ALIAS_PREFIX } from './names.js';
import type { IpRoute } from './iproute.js';
import type { NetworkRecord } from './records.js';

/** The bridge as the record describes it: made if missing, addressed, up. Idempotent. */
export async function setUpBridge(ip: IpRoute, network: NetworkRecord, alias: string) {
  const { bridge } = network;
  const link = await ip.link(bridge);
  if (link && link.linkinfo?.info_kind !== 'bridge') {
    const kind = link.linkinfo?.info_kind ?? 'device';
    throw new ConflictError(
      `network "${network.name}" needs bridge ${bridge}, but it is a ${kind}`,
      {
        hint: `name another bridge in driver_opts (com.docker.network.bridge.name), or delete ${bridge}`,
      },
    );
  }
  if (!link) {
    const mtu = network.mtu === undefined ? [] : ['mtu', String(network.mtu)];
    await ip.ip(['link', 'add', 'name', bridge, ...mtu, 'type', 'bridge']);
  }
  // A bridge someone else made (named in driver_opts) is used, not relabelled or deleted.
  if (!link || isOurs(link.ifalias)) await ip.ip(['link', 'set', 'dev', bridge, 'alias', alias]);
  const prefix = network.subnet.split('/')[1]!;
  await ip.ip(['addr', 'replace', `${network.gateway}/${prefix}`, 'dev', bridge]);
  const address6 = gatewayAddress6(network);
  if (address6) {
    await enableIpv6(ip, bridge);
    // nodad: the address is the engine's to give, and usable at once (no tentative second).
    await ip.ip(['-6', 'addr', 'replace', address6, 'dev', bridge, 'nodad']);
  }
  await ip.ip(['link', 'set', 'dev', bridge, 'up']);
}

/** `fd00:7473:6373::1/64`: the bridge's IPv6 address, on a network that has one. */
function gatewayAddress6(network: NetworkRecord): string | undefined {
  if (network.subnet6 === undefined || network.gateway6 === undefined) return undefined;
  return `${network.gateway6}/${network.subnet6.split('/')[1]!}`;
}

/**
 * A link made while the namespace's `default.disable_ipv6` is 1 starts with IPv6 off: it is
 * turned on for this link alone (the engine's own), never for the namespace as a whole.
 */
async function enableIpv6(ip: IpRoute, dev: string): Promise<void> {
  // The slash form, as sysctl reads it, keeps a dot in a link's name from splitting it.
  const key = `net/ipv6/conf/${dev}/disable_ipv6`;
  if ((await ip.exec('sysctl', ['-n', key])).trim() !== '0') {
    await ip.exec('sysctl', ['-q', '-w', `${key}=0`]);
  }
}

/** Deletes the bridge if the engine made it; from someone else's, takes only its address. */
export async function tearDownBridge(ip: IpRoute, network: NetworkRecord): Promise<void> {
  const link = await ip.link(network.bridge);
  if (!link) return;
  if (isOurs(link.ifalias)) {
    await ip.ip(['link', 'del', 'dev', network.bridge]);
    return;
  }
  const address = `${network.gateway}/${network.subnet.split('/')[1]!}`;
  if ((await ip.addresses(network.bridge)).includes(address)) {
    await ip.ip(['addr', 'del', address, 'dev', network.bridge]);
  }
  const address6 = gatewayAddress6(network);
  const present6 = address6 === undefined ? [] : await ip.globalAddresses6();
  if (present6.some((entry) => entry.ifname === network.bridge && entry.address === address6)) {
    await ip.ip(['-6', 'addr', 'del', address6!, 'dev', network.bridge]);
  }
}

export interface Veth {
  bridge: string;
  /** The end on the bridge, in the host's namespace. */
  hostIfname: string;
  alias: string;
  /** The container's namespace, by path, and the end's name inside it. */
  netns: string;
  ifname: string;
  mac: string;
  /** `10.89.0.2/24`. */
  address: string;
  gateway: string;
  /** `fd00:7473:6373::2/64` and the bridge's IPv6 address, on a network with IPv6. */
  address6?: string;
  gateway6?: string;
  mtu?: number;
  /** Via this network's gateway: IPv4, and IPv6 too where the network has it. */
  defaultRoute: boolean;
}

/**
 * A veth pair whose one end is on the bridge and the other, made inside the container's
 * namespace directly (no rename, no clash with the host's names), carries the address.
 * Running it again converges: a half-made pair is made again. `insideLinks`, when the
 * caller has listed the namespace's links already, saves listing them again. The inside
 * is set up in one `ip -batch`: a process or two per container rather than seven.
 */
export async function plugVeth(host: IpRoute, veth: Veth, insideLinks?: string[]): Promise<void> {
  const inside = host.inNamespace(veth.netns);
  const innerEnd = insideLinks
    ? insideLinks.includes(veth.ifname)
    : (await inside.link(veth.ifname)) !== undefined;
  if (!innerEnd) await addPair(host, veth);
  await host.ip([
    'link', 'set', 'dev', veth.hostIfname, 'alias', veth.alias, 'master', veth.bridge, 'up',
  ]); // prettier-ignore
  const commands = [
    ['addr', 'replace', veth.address, 'dev', veth.ifname],
    ['link', 'set', 'dev', veth.ifname, 'up'],
  ];
  if (veth.defaultRoute) {
    commands.push(['route', 'replace', 'default', 'via', veth.gateway, 'dev', veth.ifname]);
  }
  await inside.batch(commands);
  if (veth.address6 !== undefined) {
    await enableIpv6(inside, veth.ifname);
    await inside.ip(['-6', 'addr', 'replace', veth.address6, 'dev', veth.ifname, 'nodad']);
    if (veth.defaultRoute && veth.gateway6 !== undefined) {
      const via = ['default', 'via', veth.gateway6, 'dev', veth.ifname];
      await inside.ip(['-6', 'route', 'replace', ...via]);
    }
  }
}

/** The pair, made at once; a host end left by a half-made earlier one is deleted first. */
async function addPair(host: IpRoute, veth: Veth): Promise<void> {
  const mtu = veth.mtu === undefined ? [] : ['mtu', String(veth.mtu)];
  const add = () =>
    host.ip([
      'link', 'add', veth.hostIfname, ...mtu, 'type', 'veth',
      'peer', 'name', veth.ifname, ...mtu, 'address', veth.mac, 'netns', veth.netns,
    ]); // prettier-ignore
  try {
    await add();
  } catch (error) {
    if (!(error instanceof CommandError) || !(await host.link(veth.hostIfname))) throw error;
    await host.ip(['link', 'del', 'dev', veth.hostIfname]);
    await add();
  }
}

/** Deleting one end of a veth deletes both. */
export async function unplugVeth(host: IpRoute, hostIfname: string): Promise<void> {
  if (await host.link(hostIfname)) await host.ip(['link', 'del', 'dev', hostIfname]);
}

function isOurs(alias: string | undefined): boolean {
  return alias?.startsWith(`${ALIAS_PREFIX}:`) ?? false;
}
