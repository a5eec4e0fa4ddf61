import { parseCidr, type Cidr } from './cidr.js';
import { parseCidr6, type Cidr6 } from './cidr6.js';
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
  /** How the route came: `kernel`, `static`, `ra` (a router advertisement)… */
  protocol?: string;
}

interface AddressEntry {
  ifname: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number; scope?: string }[];
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
    return this.exec('ip', args);
  }

  /**
   * Several `ip` commands in one process (`ip -batch -`), in order; the first that fails
   * fails the batch, naming its line.
   */
  batch(commands: string[][]): Promise<string> {
    if (commands.some((words) => words.some((word) => /[\s"'\\#]/.test(word)))) {
      throw new Error(`ip -batch cannot carry these words: ${JSON.stringify(commands)}`);
    }
    return this.exec(
      'ip',
      ['-batch', '-'],
      `${commands.map((words) => words.join(' ')).join('\n')}\n`,
    );
  }

  /** Any tool, in the same namespace (`sysctl` reads and writes that namespace's settings). */
  exec(command: string, args: string[], input?: string): Promise<string> {
    return this.netns === undefined
      ? this.run(command, args, input)
      : this.run('nsenter', [`--net=${this.netns}`, command, ...args], input);
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

  async routes6(): Promise<Route[]> {
    return parseJson<Route[]>(await this.ip(['-j', '-6', 'route', 'show']));
  }

  /** IPv4 addresses of a device, as `10.89.0.1/24`. */
  async addresses(dev: string): Promise<string[]> {
    return (await this.addressesOf('-4'))
      .filter((entry) => entry.ifname === dev)
      .map((entry) => entry.address);
  }

  /** IPv6 addresses of global scope (not link-local), per device, as `fd00::1/64`. */
  async globalAddresses6(): Promise<{ ifname: string; address: string }[]> {
    return (await this.addressesOf('-6')).filter((entry) => entry.scope === 'global');
  }

  private async addressesOf(family: '-4' | '-6') {
    const entries = parseJson<AddressEntry[]>(await this.ip(['-j', family, 'addr', 'show']));
    return entries.flatMap((entry) =>
      (entry.addr_info ?? [])
        .filter((info) => info.local !== undefined)
        .map((info) => ({
          ifname: entry.ifname,
          address: `${info.local}/${info.prefixlen ?? (family === '-4' ? 32 : 128)}`,
          scope: info.scope,
        })),
    );
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

/** The same for IPv6 routes: link-local, multicast and default routes left out. */
export function routedSubnets6(routes: readonly Route[]): { cidr: Cidr6; route: Route }[] {
  return routes.flatMap((route) => {
    if (route.dst === 'default' || /^(fe80|ff[0-9a-f]{2}):/i.test(route.dst)) return [];
    try {
      return [
        { cidr: parseCidr6(route.dst.includes('/') ? route.dst : `${route.dst}/128`), route },
      ];
    } catch {
      return [];
    }
  });
}

function parseJson<T>(text: string): T {
  // `ip -j` prints nothing at all, not [], for an empty namespace on some versions.
  return (text.trim() === '' ? [] : JSON.parse(text)) as T;
}
