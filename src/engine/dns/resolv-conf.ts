import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export interface Upstream {
  address: string;
  port: number;
}

/**
 * Reads resolv.conf(5) as glibc does: `#` and `;` start comments, the last `search` or
 * `domain` line wins, and a `nameserver` that is not an IP address is skipped.
 */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const line of text.split('\n')) {
    const [keyword, ...values] = line
      .replace(/[#;].*$/, '')
      .trim()
      .split(/\s+/);
    if (keyword === 'nameserver' && values[0] && isIP(values[0].split('%')[0]!)) {
      conf.nameservers.push(values[0]);
    } else if (keyword === 'search') {
      conf.search = values.filter(Boolean);
    } else if (keyword === 'domain' && values[0]) {
      conf.search = [values[0]];
    } else if (keyword === 'options') {
      conf.options.push(...values.filter(Boolean));
    }
  }
  return conf;
}

/**
 * The upstreams to forward to. The responder runs in the host's network namespace, so a
 * loopback resolver (systemd-resolved's 127.0.0.53) works and is kept unless the caller
 * asks otherwise. With no nameserver line glibc asks the local host; so does this.
 */
export function upstreamsOf(
  conf: ResolvConf,
  options: { skipLoopback?: boolean; port?: number } = {},
): Upstream[] {
  const port = options.port ?? 53;
  const servers = conf.nameservers.length > 0 ? conf.nameservers : ['127.0.0.1'];
  return servers
    .filter((address) => !(options.skipLoopback && isLoopback(address)))
    .map((address) => ({ address, port }));
}

export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || /^::ffff:127\./i.test(address);
}

/** The host's resolvers, from /etc/resolv.conf (127.0.0.1 where it names none). */
export function hostUpstreams(file = '/etc/resolv.conf'): Upstream[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // No file: glibc's default, the local resolver.
  }
  return upstreamsOf(parseResolvConf(text));
}
