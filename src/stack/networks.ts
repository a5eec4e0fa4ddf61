import { InvalidError, NotFoundError, TsComposeError, UnsupportedError } from '../errors.js';
import {
  BRIDGE_NAME_OPTION,
  MTU_OPTION,
  NetworkManager,
  isIpv6Text,
  type NetworkRecord,
} from '../engine/network/index.js';
import type { NetworkMode } from '../engine/runtime/types.js';
import type { Network, Project, Service, ServiceNetwork } from '../planner/model.js';
import type { StackDeps } from './events.js';

/** Where a container can be found by name: kept with it, read by the keeper's DNS. */
export interface Discovery {
  /** The service name, `container_name` and `hostname`: names on every network. */
  names: string[];
  /** `ip6` on a network with IPv6 (absent in records made before IPv6 networks). */
  networks: { name: string; aliases: string[]; ip: string; ip6?: string }[];
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
  if (network.enable_ipv4 === false) {
    throw new UnsupportedError(
      `network ${key} turns IPv4 off, and IPv6-only networks are not made yet`,
      {
        path: `networks.${key}.enable_ipv4`,
        hint: 'drop enable_ipv4: false; every network has IPv4 for now',
      },
    );
  }
  const { v4: ipam, v6 } = ipamByFamily(network);
  if (v6 && !network.enable_ipv6) {
    const given = v6.entry.subnet ? `subnet ${v6.entry.subnet}` : `gateway ${v6.entry.gateway}`;
    throw new InvalidError(`IPv6 ${given} is given, but the network does not enable IPv6`, {
      path: `networks.${key}.ipam.config[${v6.index}]`,
      hint: `set networks.${key}.enable_ipv6: true, or remove the IPv6 entry`,
    });
  }
  if (network.enable_ipv6) {
    const reason = await networks.ipv6Unavailable();
    if (reason !== undefined) {
      throw new UnsupportedError(`network ${key} enables IPv6, but ${reason}`, {
        path: `networks.${key}.enable_ipv6`,
        hint: `turn IPv6 on (sysctl -w net.ipv6.conf.all.disable_ipv6=0), or set networks.${key}.enable_ipv6: false`,
      });
    }
  }
  try {
    return await networks.ensure({
      name: network.name,
      project: project.name,
      internal: network.internal,
      subnet: ipam?.subnet,
      gateway: ipam?.gateway,
      ipRange: ipam?.ip_range,
      ...(network.enable_ipv6 && {
        enableIpv6: true,
        subnet6: v6?.entry.subnet,
        gateway6: v6?.entry.gateway,
        ipRange6: v6?.entry.ip_range,
      }),
      labels: {
        'com.docker.compose.project': project.name,
        'com.docker.compose.network': key,
        ...network.labels,
      },
      driverOpts: network.driver_opts,
    });
  } catch (error) {
    // The engine speaks of the network by its full name; say where the file sets it up.
    if (network.enable_ipv6 && error instanceof TsComposeError && error.path === undefined) {
      error.path = `networks.${key}`;
    }
    throw error;
  }
}

type IpamEntry = NonNullable<NonNullable<Network['ipam']>['config']>[number];

/**
 * The ipam entry of each family: Docker Compose lists an IPv4 and an IPv6 subnet as two
 * entries of `config`, in either order. An entry without a subnet counts by its gateway.
 */
function ipamByFamily(network: Network): {
  v4?: IpamEntry;
  v6?: { entry: IpamEntry; index: number };
} {
  const entries = network.ipam?.config ?? [];
  const isV6 = (entry: IpamEntry) => isIpv6Text(entry.subnet ?? entry.gateway ?? '');
  const index = entries.findIndex(isV6);
  return {
    v4: entries.find((entry) => !isV6(entry)),
    v6: index < 0 ? undefined : { entry: entries[index]!, index },
  };
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
  for (const [i, [key, settings]] of order.entries()) {
    checkIpv6Address(service, key, settings, records[i]!);
  }
  // The default route goes through the first network that has a way out.
  const routed = records.findIndex((record) => !record.internal);
  const path = await networks.createNamespace(id);
  try {
    const attached: Discovery['networks'] = [];
    for (const [i, [key, settings]] of order.entries()) {
      const record = records[i]!;
      const { ip, ip6 } = await networks
        .attach(id, record.name, {
          ip: settings?.ipv4_address,
          ip6: settings?.ipv6_address,
          mac: settings?.mac_address ?? (i === 0 ? service.mac_address : undefined),
          ifname: `eth${i}`,
          defaultRoute: i === routed,
        })
        .catch((error: unknown) => {
          const asked6 = settings?.ipv6_address !== undefined;
          if (error instanceof TsComposeError && error.path === undefined && asked6) {
            error.path = `services.${service.name}.networks.${key}`;
          }
          throw error;
        });
      const aliases = settings?.aliases ?? [];
      attached.push({ name: record.name, aliases, ip, ...(ip6 === undefined ? {} : { ip6 }) });
    }
    const names = [service.name, containerName, service.hostname].filter((name): name is string =>
      Boolean(name),
    );
    const hostname = service.hostname ?? id.slice(0, 12);
    const own = [attached[0]!.ip, attached[0]!.ip6].filter((ip): ip is string => ip !== undefined);
    return {
      mode: { kind: 'path', path },
      discovery: { names: [...new Set(names)], networks: attached, links: linksOf(service) },
      dns: [records[0]!.gateway],
      hosts: own.map((ip) => ({ ip, names: [hostname] })),
    };
  } catch (error) {
    await networks.deleteNamespace(id);
    throw error;
  }
}

/** An `ipv6_address` needs a network with IPv6, as Docker refuses it on one without. */
function checkIpv6Address(
  service: Service,
  key: string,
  settings: ServiceNetwork | null,
  record: NetworkRecord,
): void {
  const address = settings?.ipv6_address;
  if (address === undefined || record.subnet6 !== undefined) return;
  throw new InvalidError(
    `ipv6_address ${address} is given, but network ${key} does not enable IPv6`,
    {
      path: `services.${service.name}.networks.${key}.ipv6_address`,
      hint: `set networks.${key}.enable_ipv6: true, or remove ipv6_address`,
    },
  );
}

/** `SERVICE` or `SERVICE:ALIAS`, as Docker Compose reads a link. */
function linksOf(service: Service): Discovery['links'] {
  return (service.links ?? []).map((link) => {
    const [target, alias] = link.split(':');
    return { service: target!, alias: alias || target! };
  });
}

const ensuring = new WeakMap<StackDeps, Map<string, Promise<NetworkRecord>>>();

/** The bridge driver's options the engine applies; `up` warns about the others. */
const APPLIED_DRIVER_OPTS = new Set([BRIDGE_NAME_OPTION, MTU_OPTION]);

/** What `up` says of a network's `driver_opts` it does not apply; undefined if none. */
export function ignoredDriverOpts(project: Project, key: string): string | undefined {
  const network = project.networks[key];
  if (!network || network.external) return undefined;
  const ignored = Object.keys(network.driver_opts ?? {}).filter(
    (option) => !APPLIED_DRIVER_OPTS.has(option),
  );
  if (ignored.length === 0) return undefined;
  const verb = ignored.length === 1 ? 'is' : 'are';
  return `networks.${key}.driver_opts: ${ignored.join(', ')} ${verb} not applied (tscompose applies ${[...APPLIED_DRIVER_OPTS].join(' and ')})`;
}

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
    const ignored = ignoredDriverOpts(project, key);
    if (ignored) deps.onEvent({ kind: 'warning', message: ignored });
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
