import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ContainerManager } from '../engine/containers/manager.js';
import type { ContainerRecord } from '../engine/containers/records.js';
import { DnsResponder, parseResolvConf, upstreamsOf } from '../engine/dns/index.js';
import { NetworkManager } from '../engine/network/index.js';
import type { Engine } from '../engine/engine.js';
import type { Discovery } from './networks.js';

/** Per network: lower-cased name → the addresses of every container that answers to it. */
export type NameIndex = Map<string, Map<string, string[]>>;

const BEGIN = "# tscompose: the stack's names (kept current by its keeper)";
const END = '# tscompose: end';

/** The names each network's containers answer to, from what they were created with. */
export function nameIndex(containers: ContainerRecord[]): NameIndex {
  const index: NameIndex = new Map();
  for (const container of containers) {
    if (container.state !== 'running') continue;
    const discovery = container.supervision?.discovery as Discovery | undefined;
    for (const network of discovery?.networks ?? []) {
      const names = index.get(network.name) ?? new Map<string, string[]>();
      index.set(network.name, names);
      for (const name of [...discovery!.names, ...network.aliases]) {
        const key = name.toLowerCase();
        const ips = names.get(key) ?? [];
        if (!ips.includes(network.ip)) ips.push(network.ip);
        names.set(key, ips);
      }
    }
  }
  return index;
}

/** The block of /etc/hosts lines for one container: every name on the networks it is on. */
export function hostsBlock(index: NameIndex, container: ContainerRecord): string {
  const discovery = container.supervision?.discovery as Discovery | undefined;
  const byIp = new Map<string, Set<string>>();
  for (const network of discovery?.networks ?? []) {
    for (const [name, ips] of index.get(network.name) ?? []) {
      for (const ip of ips) byIp.set(ip, (byIp.get(ip) ?? new Set()).add(name));
    }
  }
  const lines = [...byIp].map(([ip, names]) => `${ip}\t${[...names].sort().join(' ')}`).sort();
  return [BEGIN, ...lines, END].join('\n');
}

/** `text` with its stack block replaced by `block` (or added at the end). */
export function withHostsBlock(text: string, block: string): string {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END, start);
  const before =
    start >= 0 ? text.slice(0, start) : text.endsWith('\n') || !text ? text : `${text}\n`;
  const after = start >= 0 && end >= 0 ? text.slice(end + END.length).replace(/^\n/, '') : '';
  return `${before}${block}\n${after}`;
}

/**
 * Service discovery for one project, run by its keeper: a DNS responder on each network's
 * gateway, and every running container's /etc/hosts, edited in place (a rename would leave
 * the bind mount on the old file).
 */
export class StackDiscovery {
  private index: NameIndex = new Map();
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
    this.index = nameIndex(this.manager.list());
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
      if (container.state === 'running') this.writeHosts(container);
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
    const conf = parseResolvConf(
      existsSync('/etc/resolv.conf') ? readFileSync('/etc/resolv.conf', 'utf8') : '',
    );
    try {
      return await DnsResponder.start({
        listen: { address: gateway, port: 53 },
        records: {
          lookup: (name) => {
            const ips = this.index.get(network)?.get(name);
            return ips ? { ipv4: ips, ipv6: [] } : undefined;
          },
        },
        upstream: upstreamsOf(conf),
        log: this.log,
      });
    } catch (error) {
      // Names still resolve through /etc/hosts; say why DNS does not.
      this.log(`DNS on ${network} (${gateway}:53) did not start: ${String(error)}`);
      return undefined;
    }
  }

  private writeHosts(container: ContainerRecord): void {
    const file = this.manager.pathsOf(container.id).hosts;
    if (!existsSync(file)) return;
    const text = readFileSync(file, 'utf8');
    const next = withHostsBlock(text, hostsBlock(this.index, container));
    if (next !== text) writeFileSync(file, next);
  }
}
