import { isMapping } from '../tags.js';

/**
 * What makes a list entry the same entry as another, for the unicity pass; undefined for an
 * entry with no recognisable key, which is then kept as it is.
 */
export type KeyOf = (item: unknown) => string | undefined;

/** `KEY=value` and `KEY` are keyed by KEY; any other scalar by itself (`cap_add`, `dns`). */
export function keyValueKey(item: unknown): string | undefined {
  if (typeof item === 'string') return item.split('=', 1)[0];
  return isScalar(item) ? String(item) : undefined;
}

/** `host=address` or the older `host:address`. */
export function hostKey(item: unknown): string | undefined {
  return typeof item === 'string' ? /^[^=:]*/.exec(item)?.[0] : undefined;
}

/**
 * A published port is the same port when host address, host port, container port and
 * protocol agree (the spec's "Unique resources"). Short and long syntax share one key, so
 * `8080:80` in one file and `{ published: 8080, target: 80 }` in another count once.
 */
export function portKey(item: unknown): string | undefined {
  if (typeof item === 'number') return portIdentity({ target: item });
  if (typeof item === 'string') return portIdentity(parseShortPort(item) ?? { target: item });
  if (!isMapping(item)) return undefined;
  return portIdentity({
    ip: item.host_ip,
    published: item.published,
    target: item.target,
    protocol: item.protocol,
  });
}

interface PortParts {
  ip?: unknown;
  published?: unknown;
  target: unknown;
  protocol?: unknown;
}

// [ip:][published:]target[/protocol]; an IPv6 host address is written in brackets.
const SHORT_PORT =
  /^(?:(?:\[(?<ip6>[^\]]*)\]|(?<ip>[^:[\]]*)):)??(?:(?<published>[^:]*):)?(?<target>[^:/]+)(?:\/(?<protocol>[A-Za-z]+))?$/;

function parseShortPort(text: string): PortParts | undefined {
  const groups = SHORT_PORT.exec(text)?.groups;
  if (!groups) return undefined;
  const { ip6, ip, published, target, protocol } = groups;
  return { ip: ip6 ?? ip, published, target, protocol };
}

function portIdentity({ ip, published, target, protocol }: PortParts): string {
  const host = ip === undefined || ip === '' ? '0.0.0.0' : String(ip);
  const proto = protocol === undefined || protocol === '' ? 'tcp' : String(protocol).toLowerCase();
  return `${host}|${String(published ?? '')}|${String(target)}|${proto}`;
}

/** A volume is its mount point in the container: `source:target[:mode]`, or a mapping's `target`. */
export function volumeTarget(item: unknown): string | undefined {
  if (isMapping(item)) return typeof item.target === 'string' ? item.target : undefined;
  if (typeof item !== 'string') return undefined;

  const parts = item.split(':');
  return parts.length === 1 ? parts[0] : parts[hasWindowsDrive(parts) ? 2 : 1];
}

/**
 * `C:\data:/data` has a drive letter in its source. `c:/data:ro` (a volume named `c`) does
 * not: there the part after the path is a mode, not an absolute target.
 */
function hasWindowsDrive(parts: string[]): boolean {
  const [drive = '', path = '', target = ''] = parts;
  return /^[A-Za-z]$/.test(drive) && /^[\\/]/.test(path) && target.startsWith('/');
}

/** `host-path[:container-path[:permissions]]`: a device is where it appears in the container. */
export function deviceTarget(item: unknown): string | undefined {
  if (isMapping(item)) return typeof item.target === 'string' ? item.target : undefined;
  if (typeof item !== 'string') return undefined;
  const [source, target] = item.split(':');
  return target ?? source;
}

/**
 * Secrets and configs are keyed by their path in the container, which by default is the
 * source's name under `directory` (`/run/secrets` for secrets, `/` for configs).
 */
export function mountTarget(directory: string): KeyOf {
  return (item) => {
    if (typeof item === 'string') return `${directory}/${item}`;
    if (!isMapping(item)) return undefined;
    if (typeof item.target === 'string') {
      return item.target.startsWith('/') ? item.target : `${directory}/${item.target}`;
    }
    return typeof item.source === 'string' ? `${directory}/${item.source}` : undefined;
  };
}

export function envFilePath(item: unknown): string | undefined {
  if (typeof item === 'string') return item;
  return isMapping(item) && typeof item.path === 'string' ? item.path : undefined;
}

export function scalarKey(item: unknown): string | undefined {
  return isScalar(item) ? String(item) : undefined;
}

function isScalar(value: unknown): value is string | number | boolean {
  return ['string', 'number', 'boolean'].includes(typeof value);
}
