import { ConflictError, UnsupportedError } from '../errors.js';
import type { ContainerManager } from '../engine/containers/manager.js';
import type { ContainerRecord, PublishedPort } from '../engine/containers/records.js';
import { PortProxy, type PortBinding } from '../engine/proxy/index.js';
import type { Port, Project } from '../planner/model.js';
import type { Discovery } from './networks.js';

/** The host ports a `ports` entry may take: one, a range to choose from, or any (0). */
export function hostPortChoices(port: Port): number[] {
  if (port.published === undefined || port.published === '') return [0];
  const [from, to = from] = port.published.split('-').map(Number) as [number, number?];
  const choices: number[] = [];
  for (let p = from; p <= to!; p += 1) choices.push(p);
  return choices;
}

/** The published ports a container asks for, with its address on its first network. */
export function wantedBindings(container: ContainerRecord): { port: Port; target: string }[] {
  const ports = (container.supervision?.ports as Port[] | undefined) ?? [];
  const ip = (container.supervision?.discovery as Discovery | undefined)?.networks[0]?.ip;
  if (!ip) return [];
  return ports
    .filter((p) => p.protocol === 'tcp' || p.protocol === 'udp')
    .map((port) => ({ port, target: ip }));
}

/**
 * Before `up` starts anything: every fixed host port the services publish must be free,
 * unless one of the project's own containers holds it already.
 */
export async function checkPortsFree(
  project: Project,
  services: string[],
  manager: ContainerManager,
): Promise<void> {
  const held = new Set(
    manager
      .list(project.name)
      .flatMap((c) => c.ports)
      .map((p) => `${p.hostIp}:${p.hostPort}/${p.protocol}`),
  );
  for (const name of services) {
    for (const [i, port] of (project.services[name]!.ports ?? []).entries()) {
      const choices = hostPortChoices(port);
      if (choices.length !== 1 || choices[0] === 0) continue;
      if (port.protocol !== 'tcp' && port.protocol !== 'udp') {
        throw new UnsupportedError(`publishing ${port.protocol} ports is not supported`, {
          path: `services.${name}.ports[${i}]`,
          hint: 'publish tcp or udp',
        });
      }
      const hostIp = port.host_ip ?? '0.0.0.0';
      if (held.has(`${hostIp}:${choices[0]}/${port.protocol}`)) continue;
      const probe = await PortProxy.start({
        protocol: port.protocol,
        hostIp,
        hostPort: choices[0]!,
        target: { address: '127.0.0.1', port: 9 },
      }).catch((error: unknown) => {
        if (error instanceof ConflictError) {
          throw new ConflictError(
            `service ${name} cannot publish ${hostIp}:${choices[0]}/${port.protocol}: the port is already in use on the host`,
            {
              path: `services.${name}.ports[${i}]`,
              hint: 'stop what listens there, or publish another host port (or none, for a free one)',
            },
          );
        }
        throw error;
      });
      await probe.close();
    }
  }
}

/**
 * The keeper's proxies: one per published port of every running container, closed when the
 * container stops; what each holds is written to the container's record for `ps` and `port`.
 */
export class StackPorts {
  private readonly proxies = new Map<string, { proxies: PortProxy[]; target: string }>();

  constructor(
    private readonly manager: ContainerManager,
    private readonly log: (line: string) => void,
  ) {}

  async sync(containers: ContainerRecord[]): Promise<void> {
    const running = new Map(containers.filter((c) => c.state === 'running').map((c) => [c.id, c]));
    for (const [id, entry] of this.proxies) {
      const container = running.get(id);
      if (container && wantedBindings(container)[0]?.target === entry.target) continue;
      this.proxies.delete(id);
      await Promise.all(entry.proxies.map((proxy) => proxy.close()));
      if (this.manager.records.find(id)) this.manager.records.update(id, { ports: [] });
    }
    for (const container of running.values()) {
      if (this.proxies.has(container.id)) continue;
      const wanted = wantedBindings(container);
      if (wanted.length === 0) continue;
      const proxies: PortProxy[] = [];
      const published: PublishedPort[] = [];
      for (const { port, target } of wanted) {
        const proxy = await this.bind(container, port, target);
        if (!proxy) continue;
        proxies.push(proxy);
        published.push({
          hostIp: proxy.binding.hostIp,
          hostPort: proxy.bound.port,
          target: port.target,
          protocol: port.protocol as 'tcp' | 'udp',
        });
      }
      this.proxies.set(container.id, { proxies, target: wanted[0]!.target });
      this.manager.records.update(container.id, { ports: published });
    }
  }

  async close(): Promise<void> {
    for (const entry of this.proxies.values())
      await Promise.all(entry.proxies.map((p) => p.close()));
    this.proxies.clear();
  }

  /** The first free host port of the entry's choices; none (and a log line) if all are taken. */
  private async bind(container: ContainerRecord, port: Port, target: string) {
    const hostIp = port.host_ip ?? '0.0.0.0';
    let lastError: unknown;
    for (const hostPort of hostPortChoices(port)) {
      const binding: PortBinding = {
        protocol: port.protocol as 'tcp' | 'udp',
        hostIp,
        hostPort,
        target: { address: target, port: port.target },
      };
      try {
        return await PortProxy.start(binding, {
          onError: (error) => this.log(`${container.name}: ${error.message}`),
        });
      } catch (error) {
        lastError = error;
      }
    }
    this.log(
      `${container.name}: cannot publish ${port.published ?? 'a port'}: ${String(lastError)}`,
    );
    return undefined;
  }
}
