import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { isLoopback, parseResolvConf } from '../dns/index.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { NetworkMode } from '../runtime/types.js';
import type { ContainerPaths } from './paths.js';

export interface EtcInput {
  hostname: string;
  domainname?: string;
  network: NetworkMode;
  /** More `/etc/hosts` lines: `extra_hosts`, and the stack's names once networks exist. */
  hosts?: { ip: string; names: string[] }[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** For tests: the host's files. */
  hostHosts?: string;
  hostResolvConf?: string;
}

/**
 * The container's /etc/hostname, /etc/hosts and /etc/resolv.conf, written beside it and
 * bind-mounted in, as Docker does. They are written in place on later changes (a rename
 * would leave the bind mount on the old file), so they are created once here.
 */
export function writeEtcFiles(paths: ContainerPaths, input: EtcInput): void {
  writeFileAtomic(paths.hostname, `${input.hostname}\n`);
  writeFileAtomic(paths.hosts, hostsFile(input));
  writeFileAtomic(paths.resolvConf, resolvConf(input));
}

export function hostsFile(input: EtcInput): string {
  const extra = (input.hosts ?? []).map((entry) => `${entry.ip}\t${entry.names.join(' ')}`);
  if (input.network.kind === 'host') {
    const host = input.hostHosts ?? readOr('/etc/hosts', '127.0.0.1\tlocalhost\n');
    return `${host.trimEnd()}\n${extra.map((line) => `${line}\n`).join('')}`;
  }
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    ...extra,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The host's resolvers, or those the service names. A loopback resolver (such as
 * systemd-resolved's 127.0.0.53) is unreachable from a network namespace of its own, so it
 * is left out there, as Docker does.
 */
export function resolvConf(input: EtcInput): string {
  const host = parseResolvConf(input.hostResolvConf ?? readOr('/etc/resolv.conf', ''));
  const own = input.network.kind !== 'host';
  const lines: string[] = [];
  const servers = input.dns?.length
    ? input.dns
    : host.nameservers.filter((ip) => !(own && isLoopback(ip)));
  for (const server of servers) lines.push(`nameserver ${server}`);
  const search = input.dnsSearch?.length ? input.dnsSearch : host.search;
  if (search.length) lines.push(`search ${search.join(' ')}`);
  const options = input.dnsOptions?.length ? input.dnsOptions : host.options;
  if (options.length) lines.push(`options ${options.join(' ')}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

const BEGIN = "# tscompose: the stack's names (kept current by its keeper)";
const END = '# tscompose: end';

/** `text` with its block of stack names replaced by these entries (or added at the end). */
export function withStackHosts(text: string, entries: { ip: string; names: string[] }[]): string {
  const lines = entries.map((entry) => `${entry.ip}\t${entry.names.join(' ')}`);
  const block = [BEGIN, ...lines, END].join('\n');
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END, start);
  const before =
    start >= 0 ? text.slice(0, start) : text === '' || text.endsWith('\n') ? text : `${text}\n`;
  const after = start >= 0 && end >= 0 ? text.slice(end + END.length).replace(/^\n/, '') : '';
  return `${before}${block}\n${after}`;
}

/**
 * The container's /etc/hosts with the stack's names brought up to date, written in place:
 * it is bind-mounted, and a rename would leave the container with the old file.
 */
export function updateStackHosts(
  paths: ContainerPaths,
  entries: { ip: string; names: string[] }[],
): void {
  if (!existsSync(paths.hosts)) return;
  const text = readFileSync(paths.hosts, 'utf8');
  const next = withStackHosts(text, entries);
  if (next !== text) writeFileSync(paths.hosts, next);
}

/** The host's name, for containers on the host's network without a hostname of their own. */
export function hostName(): string {
  return os.hostname();
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}
