import {
  ConflictError,
  InvalidError,
  PermissionError,
  RuntimeError,
  UnsupportedError,
  type TsComposeError,
} from '../../errors.js';
import { describeBinding, describeHost, familyOf } from './address.js';
import type { PortBinding } from './types.js';

/** Why the host side of a binding could not be opened, in the kind the CLI maps to an exit code. */
export function listenError(error: unknown, binding: PortBinding): TsComposeError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const host = describeHost(binding);
  const head = `cannot publish ${describeBinding(binding)}`;
  const details = { cause: error };

  switch (code) {
    case 'EADDRINUSE':
      return new ConflictError(`${head}: ${host} is already in use`, {
        ...details,
        hint: `stop what holds ${host}, or publish another host port (or none, for a free one)`,
      });
    case 'EACCES':
    case 'EPERM':
      return new PermissionError(`${head}: binding ${host} is not permitted`, {
        ...details,
        hint:
          binding.hostPort < 1024
            ? 'publish a host port of 1024 or above, or lower net.ipv4.ip_unprivileged_port_start'
            : 'check the host’s security policy for binding this port',
      });
    case 'EAFNOSUPPORT':
      return new UnsupportedError(`${head}: this host has no IPv${familyOf(binding.hostIp)}`, {
        ...details,
        hint: 'publish on an IPv4 address instead',
      });
    case 'EADDRNOTAVAIL':
      return new InvalidError(`${head}: ${binding.hostIp} is not an address of this host`, {
        ...details,
        hint: 'use 0.0.0.0 (or :: for IPv6) for every interface, or one of this host’s addresses',
      });
    default:
      return new RuntimeError(
        `${head}: ${(error as Error | undefined)?.message ?? error}`,
        details,
      );
  }
}
