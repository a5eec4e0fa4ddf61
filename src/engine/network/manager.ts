import { ConflictError, InvalidError, NotFoundError } from '../../errors.js';
import type { Engine } from '../engine.js';
import { recordEvent } from '../state/events.js';
import { formatCidr, parseCidr, type Cidr } from './cidr.js';
import { hostCommands, type CommandRunner } from './commands.js';
import { detectFirewall, type Firewall } from './firewall.js';
import { IpRoute, routedSubnets } from './iproute.js';
import { leaseAddress, type LeaseRequest } from './leases.js';
import { plugVeth, setUpBridge, tearDownBridge, unplugVeth } from './links.js';
import { checkNetworkName, linkAlias, netnsName } from './names.js';
import { DEFAULT_NETNS_DIR, Namespaces } from './namespaces.js';
import { DEFAULT_POOL, poolSubnets, type Occupied } from './pool.js';
import { NetworkTable, type Lease, type NetworkRecord } from './records.js';
import { describeSpec, reserveNetwork } from './reserve.js';
import type { NetworkSpec } from './spec.js';

export interface NetworkManagerOptions {
  /** Where networks without a subnet get one: each entry cut into /24s. ['10.89.0.0/16']. */
  pool?: string[];
  /** Where the containers' namespaces are kept: /run/netns. */
  netnsDir?: string;
  /** The host's packet filter; detected (iptables or nft) when absent. */
  firewall?: Firewall;
  /** Runs every command; `hostCommands(exec)` when absent. */
  run?: CommandRunner;
  /** A prefix for every command, e.g. `['nsenter', '--net=/run/netns/simhost']`. */
  exec?: string[];
  /** Turn on net.ipv4.ip_forward for a non-internal network, as Docker does (true). */
  ipForward?: boolean;
}

export interface AttachOptions extends LeaseRequest {
  /** A default route via the gateway: for the first non-internal network when absent. */
  defaultRoute?: boolean;
}

export interface Attachment {
  ip: string;
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
  private readonly pool: Cidr[];
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
    this.pool = poolSubnets(options.pool ?? engine.options.subnetPool ?? DEFAULT_POOL);
    this.ipForward = options.ipForward ?? true;
  }

  /** The network, made on first use; on later calls its bridge and rules are mended. */
  async ensure(spec: NetworkSpec): Promise<NetworkRecord> {
    checkNetworkName(spec.name);
    const existing = this.table.find(spec.name);
    if (existing) {
      checkUnchanged(existing, spec);
      await this.converge(existing);
      return existing;
    }
    const wanted = describeSpec(spec);
    const routes = await this.hostRoutes();
    const { record, created } = this.engine.db
      .transaction(() => {
        const again = this.table.find(spec.name);
        if (again) return { record: again, created: false };
        return {
          record: reserveNetwork(this.table, spec, wanted, this.pool, routes),
          created: true,
        };
      })
      .immediate();
    if (!created) return this.ensure(spec);
    try {
      await this.converge(record);
    } catch (err) {
      await serially(() => this.firewall.removeBridge(record.bridge)).catch(() => undefined);
      await tearDownBridge(this.ip, record).catch(() => undefined);
      this.table.delete(record.name);
      throw err;
    }
    const data = { bridge: record.bridge, subnet: record.subnet, internal: record.internal };
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
    try {
      await serially(() => this.firewall.removeBridge(record.bridge));
      await tearDownBridge(this.ip, record);
    } catch (err) {
      this.table.insert(record); // still recorded, so that removing it again retries
      throw err;
    }
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
    if (!(await this.namespaces.exists(name))) {
      throw new NotFoundError(`container ${containerId.slice(0, 12)} has no network namespace`, {
        hint: 'create it first (createNamespace)',
      });
    }
    const netns = this.namespaces.path(name);
    const inside = this.ip.inNamespace(netns);
    const present = (await inside.links()).map((link) => link.ifname);
    const { lease, created } = leaseAddress(this.table, record, containerId, options, present);
    const defaultRoute =
      options.defaultRoute ??
      (!record.internal && !(await inside.routes()).some((route) => route.dst === 'default'));
    try {
      await plugVeth(this.ip, {
        bridge: record.bridge,
        hostIfname: lease.hostIfname,
        alias: linkAlias(record.project, `${record.name}:${containerId.slice(0, 12)}`),
        netns,
        ifname: lease.ifname,
        mac: lease.mac,
        address: `${lease.ip}/${record.subnet.split('/')[1]!}`,
        gateway: record.gateway,
        mtu: record.mtu,
        defaultRoute,
      });
    } catch (err) {
      if (created) {
        await unplugVeth(this.ip, lease.hostIfname).catch(() => undefined);
        this.table.deleteLease(network, containerId);
      }
      throw err;
    }
    if (created) this.recordEndpoint('connect', lease);
    return { ip: lease.ip, mac: lease.mac, ifname: lease.ifname };
  }

  private async hostRoutes(): Promise<(Occupied & { dev?: string })[]> {
    return routedSubnets(await this.ip.routes()).map(({ cidr, route }) => ({
      cidr,
      dev: route.dev,
      owner: route.dev ? `the host's route on ${route.dev}` : "the host's routes",
    }));
  }

  private async converge(record: NetworkRecord): Promise<void> {
    await setUpBridge(this.ip, record, linkAlias(record.project, record.name));
    if (!record.internal && this.ipForward) {
      const forwarding = await this.run('sysctl', ['-n', 'net.ipv4.ip_forward']);
      if (forwarding.trim() !== '1') await this.run('sysctl', ['-w', 'net.ipv4.ip_forward=1']);
    }
    await serially(() => this.firewall.allowBridge(record.bridge, record.subnet, record.internal));
  }

  private recordEndpoint(action: 'connect' | 'disconnect', lease: Lease): void {
    const network = this.table.find(lease.network);
    recordEvent(this.engine.db, {
      type: 'network',
      action,
      subject: lease.network,
      project: network?.project ?? null,
      data: { container: lease.containerId, ip: lease.ip },
    });
  }
}

function checkContainerId(id: string): string {
  if (!CONTAINER_ID.test(id)) {
    throw new InvalidError(`"${id}" is not a container ID (12 to 64 lowercase hex digits)`);
  }
  return id;
}

/** A network keeps the subnet and kind it was made with: a different spec must recreate it. */
function checkUnchanged(record: NetworkRecord, spec: NetworkSpec): void {
  const differs: string[] = [];
  if ((spec.internal ?? false) !== record.internal) differs.push('internal');
  if (spec.subnet !== undefined && formatCidr(parseCidr(spec.subnet)) !== record.subnet) {
    differs.push('subnet');
  }
  if (spec.gateway !== undefined && spec.gateway !== record.gateway) differs.push('gateway');
  if (spec.ipRange !== record.ipRange && spec.ipRange !== undefined) differs.push('ip_range');
  if (differs.length === 0) return;
  throw new ConflictError(
    `network "${record.name}" exists with a different ${differs.join(', ')}`,
    { hint: 'remove it (tscompose down) so that it is made again' },
  );
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
