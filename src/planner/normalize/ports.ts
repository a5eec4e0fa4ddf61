/**
 * `ports:` into one long-syntax entry per container port, as compose-go does with
 * docker/go-connections' ParsePortSpec: `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`,
 * where either port may be a range.
 */
import { isIP } from 'node:net';
import type { Port } from '../model.js';
import type { Scope } from './scope.js';
import { asMapping, scalarString } from './values.js';

const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
const SPEC_HINT =
  'write [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], such as "127.0.0.1:8080:80/udp", or the long syntax with target and published';

interface PortRange {
  start: number;
  end: number;
}

export function normalizePorts(value: unknown, scope: Scope): Port[] {
  const entries = Array.isArray(value) ? value : [value];
  return entries.flatMap((entry, index) => {
    const at = scope.at(index);
    if (typeof entry === 'number' || typeof entry === 'string') {
      return parsePortSpec(String(entry), at);
    }
    return [longSyntaxPort(asMapping(entry), at)];
  });
}

/** `80`, `8080:80`, `127.0.0.1:8080:80/udp`, `[::1]:80:80`, `8000-8010:8000-8010`. */
export function parsePortSpec(spec: string, scope: Scope): Port[] {
  const fail = (reason: string) =>
    scope.invalid(`invalid port ${JSON.stringify(spec)}: ${reason}`, SPEC_HINT);
  const { hostIp, hostPart, containerPart } = splitSpec(spec);
  const [containerPorts, protocolText = 'tcp'] = containerPart.split('/');

  if (hostIp && !isIP(hostIp)) throw fail(`${JSON.stringify(hostIp)} is not an IP address`);
  if (!containerPorts) throw fail('no container port');
  const protocol = parseProtocol(protocolText || 'tcp');
  if (!protocol)
    throw fail(`unknown protocol ${JSON.stringify(protocolText)}, expected tcp, udp or sctp`);
  const container = parseRange(containerPorts);
  if (!container) throw fail(`${JSON.stringify(containerPorts)} is not a port or a range of ports`);
  const host = hostPart ? parseRange(hostPart) : undefined;
  if (hostPart && !host)
    throw fail(`${JSON.stringify(hostPart)} is not a port or a range of ports`);

  return expand(container, host, fail).map(({ target, published }) =>
    withoutEmpty({ mode: 'ingress', host_ip: hostIp, target, published, protocol }),
  );
}

function splitSpec(spec: string): { hostIp: string; hostPart: string; containerPart: string } {
  const parts = spec.split(':');
  const containerPart = parts.pop()!;
  const hostPart = parts.pop() ?? '';
  const hostIp = parts.join(':');
  // An IPv6 host address is written in brackets so that its colons are not separators.
  const unbracketed = hostIp.startsWith('[') && hostIp.endsWith(']') ? hostIp.slice(1, -1) : hostIp;
  return { hostIp: unbracketed, hostPart, containerPart };
}

/**
 * One entry per container port. A host range with a single container port stays a range:
 * Docker picks a free host port from it.
 */
function expand(
  container: PortRange,
  host: PortRange | undefined,
  fail: (reason: string) => Error,
): { target: number; published?: string }[] {
  const size = container.end - container.start;
  if (!host) return ports(container).map((target) => ({ target }));
  if (size === 0 && host.end !== host.start) {
    return [{ target: container.start, published: `${host.start}-${host.end}` }];
  }
  if (host.end - host.start !== size) {
    throw fail(
      `the host ports ${rangeText(host)} and the container ports ${rangeText(container)} differ in number`,
    );
  }
  return ports(container).map((target, i) => ({ target, published: String(host.start + i) }));
}

function longSyntaxPort(raw: Record<string, unknown>, scope: Scope): Port {
  const target = parseRange(scalarString(raw.target));
  if (!target || target.start !== target.end) {
    throw scope
      .at('target')
      .invalid(
        `invalid container port ${JSON.stringify(raw.target)}`,
        'target is one port, such as 80',
      );
  }
  const protocol = parseProtocol(raw.protocol === undefined ? 'tcp' : scalarString(raw.protocol));
  if (!protocol) {
    throw scope
      .at('protocol')
      .invalid(`unknown protocol ${JSON.stringify(raw.protocol)}`, 'use tcp, udp or sctp');
  }
  const published =
    raw.published === undefined || raw.published === null ? '' : scalarString(raw.published);
  if (published && !parseRange(published)) {
    throw scope
      .at('published')
      .invalid(
        `invalid published port ${JSON.stringify(raw.published)}`,
        'write a port or a range, such as 8080 or "8000-8010"',
      );
  }

  return withoutEmpty({
    name: raw.name === undefined ? undefined : scalarString(raw.name),
    mode: raw.mode === 'host' ? 'host' : 'ingress',
    host_ip: raw.host_ip === undefined ? undefined : scalarString(raw.host_ip),
    target: target.start,
    published,
    protocol,
    app_protocol: raw.app_protocol === undefined ? undefined : scalarString(raw.app_protocol),
  });
}

function parseRange(text: string): PortRange | undefined {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  return end >= start && end <= 65535 ? { start, end } : undefined;
}

function parseProtocol(text: string): Port['protocol'] | undefined {
  const lower = text.toLowerCase();
  return PROTOCOLS.find((protocol) => protocol === lower);
}

function ports({ start, end }: PortRange): number[] {
  return Array.from({ length: end - start + 1 }, (_, i) => start + i);
}

function rangeText({ start, end }: PortRange): string {
  return start === end ? String(start) : `${start}-${end}`;
}

/** Compose prints no `host_ip` or `published` where the file gave none. */
function withoutEmpty(port: Port): Port {
  const out = { ...port };
  for (const key of ['name', 'host_ip', 'published', 'app_protocol'] as const) {
    if (!out[key]) delete out[key];
  }
  return out;
}
