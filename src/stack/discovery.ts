import type { ContainerManager } from '../engine/containers/manager.js';
import type { ContainerRecord } from '../engine/containers/records.js';
import { DnsResponder, hostUpstreams } from '../engine/dns/index.js';
import { NetworkManager } from '../engine/network/index.js';
import type { Engine } from '../engine/engine.js';
import type { Discovery } from './networks.js';

/** The addresses of every container that answers to a name, by family. */
export interface NameAddresses {
  ipv4: string[];
  ipv6: string[];
}

/** Per network: lower-cased name → the addresses of every container that answers to it. */
export type NameIndex = Map<string, Map<string, NameAddresses>>;

/** A running container's addresses on its networks → the names of those networks. */
export function clientNetworks(containers: ContainerRecord[]): Map<string, string[]> {
  const byAddress = new Map<string, string[]>();
  for (const container of containers) {
    if (container.state !== 'running') continue;
    const discovery = container.supervision?.discovery as Discovery | undefined;
    const names = (discovery?.networks ?? []).map((network) => network.name);
    for (const network of discovery?.networks ?? []) {
      byAddress.set(network.ip, names);
      if (network.ip6) byAddress.set(network.ip6, names);
    }
  }
  return byAddress;
}

/**
 * What a DNS query for `name` answers on `network`: the addresses on every network the
 * asking container is on, as Docker's resolver answers, so that a container reaches a
 * peer on its second network by name though its resolver is on its first. A client the
 * index does not know (the host, another project) gets this network's names.
 */
export function lookupFor(
  index: NameIndex,
  clients: Map<string, string[]>,
  network: string,
  name: string,
  client: string | undefined,
): NameAddresses | undefined {
  const networks = (client && clients.get(client)) || [network];
  let found: NameAddresses | undefined;
  for (const each of networks) {
    const ips = index.get(each)?.get(name);
    if (!ips) continue;
    found ??= { ipv4: [], ipv6: [] };
    for (const ip of ips.ipv4) if (!found.ipv4.includes(ip)) found.ipv4.push(ip);
    for (const ip of ips.ipv6) if (!found.ipv6.includes(ip)) found.ipv6.push(ip);
  }
  return found;
}

/** The names each network's containers answer to, from what they were created with. */
export function nameIndex(containers: ContainerRecord[]): NameIndex {
  const index: NameIndex = new Map();
  const add = (ips: string[], ip: string | undefined) => {
    if (ip !== undefined && !ips.includes(ip)) ips.push(ip);
  };
  for (const container of containers) {
    if (container.state !== 'running') continue;
    const discovery = container.supervision?.discovery as Discovery | undefined;
    for (const network of discovery?.networks ?? []) {
      const names = index.get(network.name) ?? new Map<string, NameAddresses>();
      index.set(network.name, names);
      for (const name of [...discovery!.names, ...network.aliases]) {
        const key = name.toLowerCase();
        const ips = names.get(key) ?? { ipv4: [], ipv6: [] };
        add(ips.ipv4, network.ip);
        add(ips.ipv6, network.ip6);
        names.set(key, ips);
      }
    }
  }
  return index;
}

/**
 * The /etc/hosts entries for one container: every name on the networks it is on, and the
 * aliases of its own links.
 */
export function hostsEntries(
  index: NameIndex,
  discovery: Discovery | undefined,
): { ip: string; names: string[] }[] {
  const byIp = new Map<string, Set<string>>();
  const add = (ip: string, name: string) => byIp.set(ip, (byIp.get(ip) ?? new Set()).add(name));
  for (const network of discovery?.networks ?? []) {
    const names = index.get(network.name);
    const all = (ips: NameAddresses | undefined) => [...(ips?.ipv4 ?? []), ...(ips?.ipv6 ?? [])];
    for (const [name, ips] of names ?? []) for (const ip of all(ips)) add(ip, name);
    for (const link of discovery?.links ?? []) {
      for (const ip of all(names?.get(link.service.toLowerCase()))) {
        add(ip, link.alias.toLowerCase());
      }
    }
  }
  return [...byIp]
    .map(([ip, names]) => ({ ip, names: [...names].sort() }))
    .sort((a, b) => a.ip.localeCompare(b.ip));
}

/**
 * Service discovery for one project, run by its keeper: a DNS responder on each network's
 * gateway, and every running container's /etc/hosts, kept current through the engine.
 */
export class StackDiscovery {
  private index: NameIndex = new Map();
  private clients = new Map<string, string[]>();
  private readonly responders = new Map<string, Promise<DnsResponder | undefined>>();

  constructor(
    private readonly engine: Engine,
    private readonly manager: ContainerManager,
    private readonly project: string,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * `containers` are the project's; the names come from every running container of the
   * engine, since another project's may share a network (`external: true`) with them.
   */
  async sync(containers: ContainerRecord[]): Promise<void> {
    const all = this.manager.list();
    this.index = nameIndex(all);
    this.clients = clientNetworks(all);
    const networks = new NetworkManager(this.engine);
    const wanted = new Set(this.index.keys());
    for (const record of networks.list(this.project)) {
      if (wanted.has(record.name) && !this.responders.has(record.name)) {
        this.responders.set(record.name, this.startResponder(record.name, record.gateway));
      }
    }
    for (const [name, responder] of this.responders) {
      if (wanted.has(name)) continue;
      this.responders.delete(name);
      await (await responder)?.close();
    }
    for (const container of containers) {
      if (container.state === 'running') {
        this.manager.updateHosts(
          container.id,
          hostsEntries(this.index, container.supervision?.discovery as Discovery | undefined),
        );
      }
    }
  }

  async close(): Promise<void> {
    for (const responder of this.responders.values()) await (await responder)?.close();
    this.responders.clear();
  }

  private async startResponder(
    network: string,
    gateway: string,
  ): Promise<DnsResponder | undefined> {
    try {
      return await DnsResponder.start({
        listen: { address: gateway, port: 53 },
        records: {
          lookup: (name, client) => lookupFor(this.index, this.clients, network, name, client),
        },
        upstream: hostUpstreams(),
        log: this.log,
      });
    } catch (error) {
      // Names still resolve through /etc/hosts; say why DNS does not.
      this.log(`DNS on ${network} (${gateway}:53) did not start: ${String(error)}`);
      return undefined;
    }
  }
}
