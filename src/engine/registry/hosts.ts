import { isIP } from 'node:net';
import { DOCKER_HUB, registryHost } from '../image/reference.js';

/** The host part of `host:port` or `[v6]:port`, without brackets. */
export function hostname(domain: string): string {
  if (domain.startsWith('[')) return domain.slice(1, domain.indexOf(']'));
  const colon = domain.lastIndexOf(':');
  return colon >= 0 && domain.indexOf(':') === colon ? domain.slice(0, colon) : domain;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * Plain HTTP is for registries on this machine or listed as insecure (as dockerd's
 * `insecure-registries`: a `host[:port]` or an IPv4 CIDR); anything else is HTTPS.
 */
export function allowsPlainHttp(domain: string, insecure: readonly string[] = []): boolean {
  const host = hostname(domain);
  if (isLoopback(host)) return true;
  return insecure.some((entry) => entry === domain || entry === host || inCidr(host, entry));
}

export function registryBaseUrl(domain: string, insecure: readonly string[] = []): URL {
  const scheme = allowsPlainHttp(domain, insecure) ? 'http' : 'https';
  return new URL(`${scheme}://${registryHost(domain)}/`);
}

/**
 * The name a registry goes by in credentials and in `login`: what people type
 * (`https://index.docker.io/v1/`, `registry-1.docker.io`, `localhost:5000/`) reduced
 * to the reference's domain.
 */
export function normaliseRegistry(text: string): string {
  const host = text
    .trim()
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '');
  if (host === '' || /^(index|registry-1|registry\.hub)\.docker\.io$/.test(host)) return DOCKER_HUB;
  return host.toLowerCase();
}

function inCidr(host: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  if (!base || bits === undefined || isIP(host) !== 4 || isIP(base) !== 4) return false;
  const prefix = Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) return false;
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return (ipv4(host) & mask) >>> 0 === (ipv4(base) & mask) >>> 0;
}

function ipv4(address: string): number {
  return address.split('.').reduce((value, octet) => ((value << 8) | Number(octet)) >>> 0, 0);
}
