import { NotFoundError } from '../errors.js';
import { NetworkManager, type NetworkRecord } from '../engine/network/index.js';
import type { NetworkMode } from '../engine/runtime/types.js';
import type { Project, Service, ServiceNetwork } from '../planner/model.js';
import type { StackDeps } from './events.js';

/** Where a container can be found by name: kept with it, read by the keeper's DNS. */
export interface Discovery {
  /** The service name, `container_name` and `hostname`: names on every network. */
  names: string[];
  networks: { name: string; aliases: string[]; ip: string }[];
  /**
   * `links: [db:database]`: names this container alone sees for another service, on the
   * networks they share. (Absent in records made before links were applied.)
   */
  links?: { service: string; alias: string }[];
}

export interface PreparedNetwork {
  mode: NetworkMode;
  discovery: Discovery;
  /** The container's resolver: the DNS responder on its first network's gateway. */
  dns: string[];
  hosts: { ip: string; names: string[] }[];
}

/** Whether the service joins stack networks (rather than the host's, none, or another's). */
export function usesStackNetworks(service: Service): boolean {
  const mode = service.network_mode;
  return mode === undefined || mode === 'bridge' || mode === 'default';
}

/**
 * The service's networks in the order Docker attaches them: highest `priority` first,
 * then by name. The first gets the default route and gives the container its resolver.
 */
export function networkOrder(service: Service): [string, ServiceNetwork | null][] {
  return Object.entries(service.networks ?? { default: null }).sort(
    ([a, x], [b, y]) => (y?.priority ?? 0) - (x?.priority ?? 0) || a.localeCompare(b),
  );
}

/** The project's network `key`, made if needed (an external one must exist already). */
export async function ensureNetwork(
  networks: NetworkManager,
  project: Project,
  key: string,
  where: string,
): Promise<NetworkRecord> {
  const network = project.networks[key];
  if (!network) {
    throw new NotFoundError(`network ${key} is not declared`, {
      path: where,
      hint: 'declare it under the top-level networks:',
    });
  }
  if (network.external) {
    const found = networks.find(network.name);
    if (!found) {
      throw new NotFoundError(`external network "${network.name}" not found`, {
        path: where,
        hint: 'create it first (by the project that owns it), or drop external: true',
      });
    }
    return found;
  }
  const ipam = network.ipam?.config?.[0];
  return networks.ensure({
    name: network.name,
    project: project.name,
    internal: network.internal,
    subnet: ipam?.subnet,
    gateway: ipam?.gateway,
    ipRange: ipam?.ip_range,
    labels: {
      'com.docker.compose.project': project.name,
      'com.docker.compose.network': key,
      ...network.labels,
    },
    driverOpts: network.driver_opts,
  });
}

/**
 * The container's network namespace, plugged into each of its service's networks, with
 * what the others need to find it. Undone (namespace and leases) if any step fails.
 */
export async function prepareNetwork(
  deps: StackDeps,
  project: Project,
  service: Service,
  id: string,
  containerName: string,
): Promise<PreparedNetwork> {
  const networks = new NetworkManager(deps.engine);
  const order = networkOrder(service);
  const records: NetworkRecord[] = [];
  for (const [key] of order) {
    records.push(await ensureOnce(deps, networks, project, key, service.name));
  }
  // The default route goes through the first network that has a way out.
  const routed = records.findIndex((record) => !record.internal);
  const path = await networks.createNamespace(id);
  try {
    const attached: Discovery['networks'] = [];
    for (const [i, [, settings]] of order.entries()) {
      const record = records[i]!;
      const { ip } = await networks.attach(id, record.name, {
        ip: settings?.ipv4_address,
        mac: settings?.mac_address ?? (i === 0 ? service.mac_address : undefined),
        ifname: `eth${i}`,
        defaultRoute: i === routed,
      });
      attached.push({ name: record.name, aliases: settings?.aliases ?? [], ip });
    }
    const names = [service.name, containerName, service.hostname].filter((name): name is string =>
      Boolean(name),
    );
    const hostname = service.hostname ?? id.slice(0, 12);
    return {
      mode: { kind: 'path', path },
      discovery: { names: [...new Set(names)], networks: attached, links: linksOf(service) },
      dns: [records[0]!.gateway],
      hosts: [{ ip: attached[0]!.ip, names: [hostname] }],
    };
  } catch (error) {
    await networks.deleteNamespace(id);
    throw error;
  }
}

/** `SERVICE` or `SERVICE:ALIAS`, as Docker Compose reads a link. */
function linksOf(service: Service): Discovery['links'] {
  return (service.links ?? []).map((link) => {
    const [target, alias] = link.split(':');
    return { service: target!, alias: alias || target! };
  });
}

const ensuring = new WeakMap<StackDeps, Map<string, Promise<NetworkRecord>>>();

/** Services created in parallel share one network: it is made once per command. */
function ensureOnce(
  deps: StackDeps,
  networks: NetworkManager,
  project: Project,
  key: string,
  service: string,
): Promise<NetworkRecord> {
  const made = ensuring.get(deps) ?? new Map<string, Promise<NetworkRecord>>();
  ensuring.set(deps, made);
  let promise = made.get(key);
  if (!promise) {
    promise = ensureNetwork(networks, project, key, `services.${service}.networks.${key}`);
    made.set(key, promise);
    promise.catch(() => made.delete(key));
  }
  return promise;
}

/** After `down`: the project's own networks (never external ones). */
export async function removeNetworks(deps: StackDeps, project: Project): Promise<string[]> {
  const networks = new NetworkManager(deps.engine);
  const removed: string[] = [];
  for (const record of networks.list(project.name)) {
    if (networks.leases(record.name).length > 0) continue;
    await networks.remove(record.name);
    removed.push(record.name);
  }
  return removed;
}
