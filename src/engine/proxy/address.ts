import { isIP } from 'node:net';
import { InvalidError } from '../../errors.js';
import type { Endpoint, PortBinding, ResolvedOptions } from './types.js';

/** `127.0.0.1:8080`, `[::1]:8080`: how a user types an address with a port. */
export function formatEndpoint({ address, port }: Endpoint): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The host side as `docker port` shows it: `0.0.0.0:8080/tcp`. */
export function describeHost(binding: PortBinding): string {
  return `${formatEndpoint({ address: binding.hostIp, port: binding.hostPort })}/${binding.protocol}`;
}

/** `0.0.0.0:8080/tcp → 10.89.0.2:80`, the words every error about a binding starts with. */
export function describeBinding(binding: PortBinding): string {
  return `${describeHost(binding)} → ${formatEndpoint(binding.target)}`;
}

export function familyOf(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}

/**
 * A binding comes from the planner already checked against the compose file; this is the
 * engine's own guard, so a bad value fails here with its name rather than as EINVAL later.
 */
export function checkBinding(binding: PortBinding, options: ResolvedOptions): void {
  const fail = (what: string, hint?: string) =>
    new InvalidError(`cannot publish ${describeBinding(binding)}: ${what}`, { hint });

  if (binding.protocol !== 'tcp' && binding.protocol !== 'udp') {
    throw fail(`the protocol must be tcp or udp, not ${JSON.stringify(binding.protocol)}`);
  }
  if (isIP(binding.hostIp) === 0) {
    throw fail(
      `the host address ${JSON.stringify(binding.hostIp)} is not an IP address`,
      'use 0.0.0.0 for every interface, or one of this host’s addresses',
    );
  }
  if (!isPort(binding.hostPort, 0)) {
    throw fail(`the host port ${binding.hostPort} is not between 0 and 65535`);
  }
  if (isIP(binding.target.address) === 0) {
    throw fail(`the target ${JSON.stringify(binding.target.address)} is not an IP address`);
  }
  if (!isPort(binding.target.port, 1)) {
    throw fail(`the target port ${binding.target.port} is not between 1 and 65535`);
  }
  checkOptions(binding, options, fail);
}

function checkOptions(
  binding: PortBinding,
  options: ResolvedOptions,
  fail: (what: string) => InvalidError,
): void {
  const { localAddress } = options;
  if (localAddress !== undefined) {
    if (isIP(localAddress) === 0) {
      throw fail(`the source address ${JSON.stringify(localAddress)} is not an IP address`);
    }
    if (familyOf(localAddress) !== familyOf(binding.target.address)) {
      throw fail(`the source address ${localAddress} is not of the target’s address family`);
    }
  }
  for (const name of ['udpIdleMs', 'connectTimeoutMs', 'maxUdpSessions'] as const) {
    const value = options[name];
    if (!Number.isFinite(value) || value <= 0) {
      throw fail(`${name} must be a positive number, not ${value}`);
    }
  }
}

function isPort(port: number, min: number): boolean {
  return Number.isInteger(port) && port >= min && port <= 65535;
}
