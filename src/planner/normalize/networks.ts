/** A service's `networks`, the implicit `default` network, and `extra_hosts`. */
import type { Service, ServiceNetwork } from '../model.js';
import type { Scope } from './scope.js';
import { asMapping, compact, scalarString, stringList, stringMapping } from './values.js';

/** `[front, back]` or `{front: null, back: {aliases: [api]}}`: null where nothing is set. */
export function normalizeServiceNetworks(
  value: unknown,
  _scope: Scope,
): Record<string, ServiceNetwork | null> {
  const out: Record<string, ServiceNetwork | null> = {};
  if (Array.isArray(value)) {
    for (const name of value) out[scalarString(name)] = null;
    return out;
  }
  for (const [name, entry] of Object.entries(asMapping(value))) {
    out[name] = entry === null || entry === undefined ? null : serviceNetwork(asMapping(entry));
  }
  return out;
}

function serviceNetwork(raw: Record<string, unknown>): ServiceNetwork {
  return compact({
    ...raw,
    aliases: raw.aliases === undefined ? undefined : stringList(raw.aliases),
    driver_opts: raw.driver_opts === undefined ? undefined : stringMapping(raw.driver_opts),
  });
}

/**
 * A service with neither `networks` nor `network_mode` joins the project's `default`
 * network. Services backed by a provider have no container, so no network. Returns whether
 * any service uses `default`: only then does the project get one.
 */
export function attachDefaultNetwork(services: Service[]): boolean {
  let usesDefault = false;
  for (const service of services) {
    if (service.provider !== undefined || service.network_mode !== undefined) continue;
    if (!service.networks || Object.keys(service.networks).length === 0) {
      service.networks = { default: null };
    }
    if ('default' in service.networks) usesDefault = true;
  }
  return usesDefault;
}

/**
 * `["host:1.2.3.4", "host=::1"]` or `{host: ip}` into host → addresses, as compose-go's
 * HostsList: `=` is tried before `:` so that IPv6 addresses survive, commas separate several
 * addresses, and brackets around an address are dropped.
 */
export function normalizeExtraHosts(value: unknown, scope: Scope): Record<string, string[]> {
  const entries: [string, string[], Scope][] = Array.isArray(value)
    ? value.map((item, index) => [
        ...splitHostEntry(scalarString(item), scope.at(index)),
        scope.at(index),
      ])
    : Object.entries(asMapping(value)).map(([host, ips]) => [
        host,
        stringList(ips),
        scope.at(host),
      ]);

  const out: Record<string, string[]> = {};
  for (const [host, addresses, at] of entries) {
    if (!host || /[:=]/.test(host)) {
      throw at.invalid(`invalid extra host name ${JSON.stringify(host)}`, HOSTS_HINT);
    }
    out[host] = [...(out[host] ?? []), ...addresses.map(unbracket)];
  }
  return out;
}

const HOSTS_HINT = 'write HOST=IP or HOST:IP';

function splitHostEntry(entry: string, scope: Scope): [string, string[]] {
  const separator = entry.includes('=') ? '=' : ':';
  const cut = entry.indexOf(separator);
  if (cut < 0) {
    throw scope.invalid(`invalid extra host ${JSON.stringify(entry)}: no IP address`, HOSTS_HINT);
  }
  return [entry.slice(0, cut), entry.slice(cut + 1).split(',')];
}

function unbracket(address: string): string {
  return address.length > 2 && address.startsWith('[') && address.endsWith(']')
    ? address.slice(1, -1)
    : address;
}
