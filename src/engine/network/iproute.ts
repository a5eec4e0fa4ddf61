import { parseCidr, type Cidr } from './cidr.js';
import type { CommandRunner } from './commands.js';

/** What `ip -j -d link show` says of one link, as far as the engine reads it. */
export interface Link {
  ifname: string;
  ifalias?: string;
  master?: string;
  address?: string;
  mtu?: number;
  flags?: string[];
  linkinfo?: { info_kind?: string };
}

export interface Route {
  dst: string;
  dev?: string;
  gateway?: string;
}

interface AddressEntry {
  ifname: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/** iproute2 for the host's network namespace, or for a namespace given by path. */
export class IpRoute {
  constructor(
    private readonly run: CommandRunner,
    private readonly netns?: string,
  ) {}

  /** The same tool inside another namespace, entered by path (any directory, not just /run/netns). */
  inNamespace(path: string): IpRoute {
    return new IpRoute(this.run, path);
  }

  ip(args: string[]): Promise<string> {
    return this.netns === undefined
      ? this.run('ip', args)
      : this.run('nsenter', [`--net=${this.netns}`, 'ip', ...args]);
  }

  async links(): Promise<Link[]> {
    return parseJson<Link[]>(await this.ip(['-j', '-d', 'link', 'show']));
  }

  async link(name: string): Promise<Link | undefined> {
    return (await this.links()).find((link) => link.ifname === name);
  }

  async routes(): Promise<Route[]> {
    return parseJson<Route[]>(await this.ip(['-j', '-4', 'route', 'show']));
  }

  /** IPv4 addresses of a device, as `10.89.0.1/24`. */
  async addresses(dev: string): Promise<string[]> {
    const entries = parseJson<AddressEntry[]>(await this.ip(['-j', '-4', 'addr', 'show']));
    return entries
      .filter((entry) => entry.ifname === dev)
      .flatMap((entry) => entry.addr_info ?? [])
      .filter((info) => info.local !== undefined)
      .map((info) => `${info.local}/${info.prefixlen ?? 32}`);
  }
}

/** The subnets of the host's routes, but the default route (it overlaps everything). */
export function routedSubnets(routes: readonly Route[]): { cidr: Cidr; route: Route }[] {
  return routes.flatMap((route) => {
    if (route.dst === 'default') return [];
    try {
      return [{ cidr: parseCidr(route.dst), route }];
    } catch {
      return []; // a route iproute2 prints in a form of its own (unreachable, broadcast…)
    }
  });
}

function parseJson<T>(text: string): T {
  // `ip -j` prints nothing at all, not [], for an empty namespace on some versions.
  return (text.trim() === '' ? [] : JSON.parse(text)) as T;
}
