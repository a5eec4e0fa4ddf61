import { existsSync } from 'node:fs';
import { ConflictError, InvalidError, NotFoundError } from '../../errors.js';
import type { Engine } from '../engine.js';
import { recordEvent } from '../state/events.js';
import type { Cidr } from './cidr.js';
import type { Cidr6 } from './cidr6.js';
import { hostCommands, type CommandRunner } from './commands.js';
import { detectFirewall, type Firewall } from './firewall.js';
import {
  enableIpv6Forwarding,
  ipv6Unavailable,
  putBackIpv6Forwarding,
  requireIpv6,
} from './host-ipv6.js';
import { IpRoute } from './iproute.js';
import { leaseAddress, type LeaseRequest } from './leases.js';
import { plugVeth, setUpBridge, tearDownBridge, unplugVeth } from './links.js';
import { checkNetworkName, linkAlias, netnsName } from './names.js';
import { DEFAULT_NETNS_DIR, Namespaces } from './namespaces.js';
import { DEFAULT_POOL, poolSubnets } from './pool.js';
import { DEFAULT_POOL6, poolEntries6 } from './pool6.js';
import { NetworkTable, type Lease, type NetworkRecord } from './records.js';
import { describeSpec, hostRoutes, reserveNetwork } from './reserve.js';
import { checkUnchanged } from './unchanged.js';
import type { NetworkSpec } from './spec.js';

export interface NetworkManagerOptions {
  /** Where networks without a subnet get one: each entry cut into /24s. ['10.89.0.0/16']. */
  pool?: string[];
  /** Where networks with enable_ipv6 and no IPv6 subnet get one: /64s. ['fd00:7473:6373::/48']. */
  pool6?: string[];
  /** Where the containers' namespaces are kept: /run/netns. */
  netnsDir?: string;
  /** The host's packet filter; detected (iptables or nft) when absent. */
  firewall?: Firewall;
  /** Runs every command; `hostCommands(exec)` when absent. */
  run?: CommandRunner;
  /** A prefix for every command, e.g. `['nsenter', '--net=/run/netns/simhost']`. */
  exec?: string[];
  /**
   * Turn on forwarding for a non-internal network, as Docker does (true): net.ipv4.ip_forward,
   * and for a network with IPv6 net.ipv6.conf.all.forwarding, put back when the last goes.
   */
  ipForward?: boolean;
}

export interface AttachOptions extends LeaseRequest {
  /** A default route via the gateway: for the first non-internal network when absent. */
  defaultRoute?: boolean;
}

export interface Attachment {
  ip: string;
  /** On a network with IPv6. */
  ip6?: string;
  mac: string;
  ifname: string;
}

const CONTAINER_ID = /^[0-9a-f]{12,64}$/;

/**
 * Per-project bridges, a network namespace per container, veth pairs and IP leases. The
 * database is the record of what should exist; each call converges the kernel's state to it,
 * so a call that failed half-way (or a reboot that cleared /run) is mended by calling again.
 */
export class NetworkManager {
  private readonly table: NetworkTable;
  private readonly run: CommandRunner;
  private readonly ip: IpRoute;
  private readonly namespaces: Namespaces;
  private readonly firewall: Firewall;
  private readonly pools: { v4: Cidr[]; v6: Cidr6[] };
  private readonly ipForward: boolean;

  constructor(
    private readonly engine: Engine,
    options: NetworkManagerOptions = {},
  ) {
    this.table = new NetworkTable(engine.db);
    this.run = options.run ?? hostCommands(options.exec);
    this.ip = new IpRoute(this.run);
    this.namespaces = new Namespaces(this.run, options.netnsDir ?? DEFAULT_NETNS_DIR);
    this.firewall = options.firewall ?? detectFirewall({ run: this.run });
    this.pools = {
      v4: poolSubnets(options.pool ?? engine.options.subnetPool ?? DEFAULT_POOL),
      v6: poolEntries6(options.pool6 ?? engine.options.subnetPool6 ?? DEFAULT_POOL6),
    };
    this.ipForward = options.ipForward ?? true;
  }

  /** The network, made on first use; on later calls its bridge and rules are mended. */
  async ensure(spec: NetworkSpec): Promise<NetworkRecord> {
    checkNetworkName(spec.name);
    const existing = this.table.find(spec.name);
    if (existing) {
      checkUnchanged(existing, spec);
      if (existing.subnet6 !== undefined) await requireIpv6(this.ip, existing.name);
      await this.converge(existing);
      return existing;
    }
    const wanted = describeSpec(spec);
    if (wanted.ipv6) await requireIpv6(this.ip, spec.name);
    const routes = await hostRoutes(this.ip, wanted.ipv6 !== undefined);
    const { record, created } = this.engine.db
      .transaction(() => {
        const again = this.table.find(spec.name);
        if (again) return { record: again, created: false };
        return {
          record: reserveNetwork(this.table, spec, wanted, this.pools, routes),
          created: true,
        };
      })
      .immediate();
    if (!created) return this.ensure(spec);
    try {
      await this.converge(record);
    } catch (err) {
      const ipv6 = record.subnet6 !== undefined;
      await serially(() => this.firewall.removeBridge(record.bridge, ipv6)).catch(() => undefined);
      await tearDownBridge(this.ip, record).catch(() => undefined);
      this.table.delete(record.name);
      if (ipv6) await this.putBackForwarding([record.bridge]).catch(() => undefined);
      throw err;
    }
    const data = {
      bridge: record.bridge,
      subnet: record.subnet,
      ...(record.subnet6 === undefined ? {} : { subnet6: record.subnet6 }),
      internal: record.internal,
    };
    recordEvent(this.engine.db, {
      type: 'network',
      action: 'create',
      subject: record.name,
      project: record.project,
      data,
    });
    return record;
  }

  find(name: string): NetworkRecord | undefined {
    return this.table.find(name);
  }

  list(project?: string): NetworkRecord[] {
    return this.table.list(project);
  }

  /** Every address the container holds, on any network. */
  leasesOf(containerId: string): Lease[] {
    return this.table.leasesOf(containerId);
  }

  leases(network: string): Lease[] {
    return this.table.leases(network);
  }

  /** Bridge, rules and record; refused while a container holds a lease on it. */
  async remove(name: string): Promise<void> {
    const record = this.table.find(name);
    if (!record) throw new NotFoundError(`network "${name}" not found`);
    this.engine.db
      .transaction(() => {
        const holders = this.table.leases(name).map((lease) => lease.containerId.slice(0, 12));
        if (holders.length > 0) {
          throw new ConflictError(
            `network "${name}" is in use by ${holders.length} container(s): ${holders.join(', ')}`,
            { hint: 'remove those containers (or their network namespaces) first' },
          );
        }
        this.table.delete(name);
      })
      .immediate();
    const ipv6 = record.subnet6 !== undefined;
    try {
      await serially(() => this.firewall.removeBridge(record.bridge, ipv6));
      await tearDownBridge(this.ip, record);
    } catch (err) {
      this.table.insert(record); // still recorded, so that removing it again retries
      throw err;
    }
    if (ipv6) await this.putBackForwarding([record.bridge]);
    recordEvent(this.engine.db, {
      type: 'network',
      action: 'destroy',
      subject: name,
      project: record.project,
      data: { bridge: record.bridge },
    });
  }

  /** Where the container's namespace is, whether or not it exists. */
  namespacePath(containerId: string): string {
    return this.namespaces.path(netnsName(checkContainerId(containerId)));
  }

  /** `tsc-<id12>` with loopback up; the path to give runc (NetworkMode `path`). */
  createNamespace(containerId: string): Promise<string> {
    return this.namespaces.create(netnsName(checkContainerId(containerId)));
  }

  /** Deletes the container's veths and namespace, then releases every lease it held. */
  async deleteNamespace(containerId: string): Promise<void> {
    checkContainerId(containerId);
    const held = this.table.leasesOf(containerId);
    for (const lease of held) await unplugVeth(this.ip, lease.hostIfname);
    await this.namespaces.delete(netnsName(containerId));
    // Only now: an address handed out again while the old veth still answered would clash.
    this.engine.db.transaction(() => {
      for (const lease of held) this.table.deleteLease(lease.network, containerId);
    })();
    for (const lease of held) this.recordEndpoint('disconnect', lease);
  }

  /** Leases an address on the network and plugs the container's namespace into its bridge. */
  async attach(
    containerId: string,
    network: string,
    options: AttachOptions = {},
  ): Promise<Attachment> {
    checkContainerId(containerId);
    const record = this.table.find(network);
    if (!record) throw new NotFoundError(`network "${network}" not found`);
    const name = netnsName(containerId);
    const netns = this.namespaces.path(name);
    const inside = this.ip.inNamespace(netns);
    // Listing its links is also the check that the namespace is there (nsenter fails).
    const listed = existsSync(netns) ? await inside.links().catch(() => undefined) : undefined;
    if (!listed) {
      throw new NotFoundError(`container ${containerId.slice(0, 12)} has no network namespace`, {
        hint: 'create it first (createNamespace)',
      });
    }
    const present = listed.map((link) => link.ifname);
    const { lease, created } = leaseAddress(this.table, record, containerId, options, present);
    const defaultRoute =
      options.defaultRoute ??
      (!record.internal && !(await inside.routes()).some((route) => route.dst === 'default'));
    const v6 = lease.ip6 !== undefined && record.subnet6 !== undefined;
    try {
      await plugVeth(
        this.ip,
        {
          bridge: record.bridge,
          hostIfname: lease.hostIfname,
          alias: linkAlias(record.project, `${record.name}:${containerId.slice(0, 12)}`),
          netns,
          ifname: lease.ifname,
          mac: lease.mac,
          address: `${lease.ip}/${record.subnet.split('/')[1]!}`,
          gateway: record.gateway,
          address6: v6 ? `${lease.ip6}/${record.subnet6!.split('/')[1]!}` : undefined,
          gateway6: v6 ? record.gateway6 : undefined,
          mtu: record.mtu,
          defaultRoute,
        },
        present,
      );
    } catch (err) {
      if (created) {
        await unplugVeth(this.ip, lease.hostIfname).catch(() => undefined);
        this.table.deleteLease(network, containerId);
      }
      throw err;
    }
    if (created) this.recordEndpoint('connect', lease);
    const attachment: Attachment = { ip: lease.ip, mac: lease.mac, ifname: lease.ifname };
    if (lease.ip6 !== undefined) attachment.ip6 = lease.ip6;
    return attachment;
  }

  /**
   * Why the host cannot give networks IPv6 (disabled, or a kernel without it), or undefined:
   * for a caller that names the setting in its own words before asking for such a network.
   */
  ipv6Unavailable(): Promise<string | undefined> {
    return ipv6Unavailable(this.ip);
  }

  private async converge(record: NetworkRecord): Promise<void> {
    await setUpBridge(this.ip, record, linkAlias(record.project, record.name));
    if (!record.internal && this.ipForward) {
      const forwarding = await this.run('sysctl', ['-n', 'net.ipv4.ip_forward']);
      if (forwarding.trim() !== '1') await this.run('sysctl', ['-w', 'net.ipv4.ip_forward=1']);
      if (record.subnet6 !== undefined) {
        await enableIpv6Forwarding(this.ip, this.engine.db, record.name);
      }
    }
    await serially(() =>
      this.firewall.allowBridge(record.bridge, record.subnet, record.internal, record.subnet6),
    );
  }

  /** IPv6 forwarding put back once no network of this database needs it (see host-ipv6.ts). */
  private async putBackForwarding(leaving: string[]): Promise<void> {
    if (!this.ipForward) return;
    const stillNeeded = this.table
      .list()
      .some((network) => network.subnet6 !== undefined && !network.internal);
    await putBackIpv6Forwarding(this.ip, this.engine.db, { stillNeeded, leaving });
  }

  private recordEndpoint(action: 'connect' | 'disconnect', lease: Lease): void {
    const network = this.table.find(lease.network);
    const data = {
      container: lease.containerId,
      ip: lease.ip,
      ...(lease.ip6 === undefined ? {} : { ip6: lease.ip6 }),
    };
    recordEvent(this.engine.db, {
      type: 'network',
      action,
      subject: lease.network,
      project: network?.project ?? null,
      data,
    });
  }
}

function checkContainerId(id: string): string {
  if (!CONTAINER_ID.test(id)) {
    throw new InvalidError(`"${id}" is not a container ID (12 to 64 lowercase hex digits)`);
  }
  return id;
}

/**
 * Firewall changes one at a time in this process: each reads the rules, then edits them,
 * and two networks made at once (two services' in one `up`) must not both add the jump.
 */
let firewallQueue: Promise<unknown> = Promise.resolve();
function serially<T>(work: () => Promise<T>): Promise<T> {
  const next = firewallQueue.then(work, work);
  firewallQueue = next.catch(() => undefined);
  return next;
}
