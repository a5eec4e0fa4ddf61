import type { Db } from '../state/db.js';
import { now } from '../state/db.js';

export interface NetworkRecord {
  name: string;
  project: string | null;
  /** The Linux bridge, at most 15 characters: `tsc-<8 hex>` unless driver_opts name one. */
  bridge: string;
  subnet: string;
  gateway: string;
  ipRange?: string;
  /** With `enable_ipv6`: the IPv6 subnet, the bridge's IPv6 address and the IPv6 ip_range. */
  subnet6?: string;
  gateway6?: string;
  ipRange6?: string;
  internal: boolean;
  mtu?: number;
  labels: Record<string, string>;
  driverOpts: Record<string, string>;
  createdAt: string;
}

/** One address of a network held by one container, and the veth that carries it. */
export interface Lease {
  network: string;
  containerId: string;
  ip: string;
  /** On a network with an IPv6 subnet. */
  ip6?: string;
  mac: string;
  /** Inside the container: eth0, eth1… */
  ifname: string;
  /** The veth's end on the bridge. */
  hostIfname: string;
  createdAt: string;
}

interface NetworkRow {
  name: string;
  project: string | null;
  bridge: string;
  subnet: string;
  gateway: string;
  ip_range: string | null;
  subnet6: string | null;
  gateway6: string | null;
  ip_range6: string | null;
  internal: number;
  mtu: number | null;
  labels: string;
  options: string;
  created_at: string;
}

interface LeaseRow {
  network: string;
  container_id: string;
  ip: string;
  ip6: string | null;
  mac: string;
  ifname: string;
  host_ifname: string;
  created_at: string;
}

/** The networks and ip_leases tables. Callers group calls in transactions where they must. */
export class NetworkTable {
  constructor(readonly db: Db) {}

  find(name: string): NetworkRecord | undefined {
    const row = this.db.prepare('SELECT * FROM networks WHERE name = ?').get(name) as
      NetworkRow | undefined;
    return row && fromRow(row);
  }

  list(project?: string): NetworkRecord[] {
    const rows = (
      project === undefined
        ? this.db.prepare('SELECT * FROM networks ORDER BY name').all()
        : this.db.prepare('SELECT * FROM networks WHERE project = ? ORDER BY name').all(project)
    ) as NetworkRow[];
    return rows.map(fromRow);
  }

  insert(record: Omit<NetworkRecord, 'createdAt'>): NetworkRecord {
    this.db
      .prepare(
        `INSERT INTO networks (name, project, bridge, subnet, gateway, ip_range, subnet6,
           gateway6, ip_range6, internal, mtu, labels, options, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.name,
        record.project,
        record.bridge,
        record.subnet,
        record.gateway,
        record.ipRange ?? null,
        record.subnet6 ?? null,
        record.gateway6 ?? null,
        record.ipRange6 ?? null,
        record.internal ? 1 : 0,
        record.mtu ?? null,
        JSON.stringify(record.labels),
        JSON.stringify(record.driverOpts),
        now(),
      );
    return this.find(record.name)!;
  }

  delete(name: string): void {
    this.db.prepare('DELETE FROM networks WHERE name = ?').run(name);
  }

  leases(network: string): Lease[] {
    const rows = this.db
      .prepare('SELECT * FROM ip_leases WHERE network = ? ORDER BY created_at, ip')
      .all(network) as LeaseRow[];
    return rows.map(leaseFromRow);
  }

  leasesOf(containerId: string): Lease[] {
    const rows = this.db
      .prepare('SELECT * FROM ip_leases WHERE container_id = ? ORDER BY ifname')
      .all(containerId) as LeaseRow[];
    return rows.map(leaseFromRow);
  }

  lease(network: string, containerId: string): Lease | undefined {
    const row = this.db
      .prepare('SELECT * FROM ip_leases WHERE network = ? AND container_id = ?')
      .get(network, containerId) as LeaseRow | undefined;
    return row && leaseFromRow(row);
  }

  insertLease(lease: Omit<Lease, 'createdAt'>): Lease {
    this.db
      .prepare(
        `INSERT INTO ip_leases (network, container_id, ip, ip6, mac, ifname, host_ifname,
           created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        lease.network,
        lease.containerId,
        lease.ip,
        lease.ip6 ?? null,
        lease.mac,
        lease.ifname,
        lease.hostIfname,
        now(),
      );
    return this.lease(lease.network, lease.containerId)!;
  }

  deleteLease(network: string, containerId: string): void {
    this.db
      .prepare('DELETE FROM ip_leases WHERE network = ? AND container_id = ?')
      .run(network, containerId);
  }
}

function fromRow(row: NetworkRow): NetworkRecord {
  const record: NetworkRecord = {
    name: row.name,
    project: row.project,
    bridge: row.bridge,
    subnet: row.subnet,
    gateway: row.gateway,
    internal: row.internal === 1,
    labels: JSON.parse(row.labels) as Record<string, string>,
    driverOpts: JSON.parse(row.options) as Record<string, string>,
    createdAt: row.created_at,
  };
  if (row.ip_range !== null) record.ipRange = row.ip_range;
  if (row.subnet6 !== null) record.subnet6 = row.subnet6;
  if (row.gateway6 !== null) record.gateway6 = row.gateway6;
  if (row.ip_range6 !== null) record.ipRange6 = row.ip_range6;
  if (row.mtu !== null) record.mtu = row.mtu;
  return record;
}

function leaseFromRow(row: LeaseRow): Lease {
  const lease: Lease = {
    network: row.network,
    containerId: row.container_id,
    ip: row.ip,
    mac: row.mac,
    ifname: row.ifname,
    hostIfname: row.host_ifname,
    createdAt: row.created_at,
  };
  if (row.ip6 !== null) lease.ip6 = row.ip6;
  return lease;
}
