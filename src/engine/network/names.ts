import { createHash } from 'node:crypto';
import { InvalidError } from '../../errors.js';

/** Linux refuses interface names of 16 bytes or more (IFNAMSIZ counts the NUL). */
export const IFNAME_MAX = 15;

/** Docker's spelling of the bridge's name and MTU in `driver_opts`. */
export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
export const MTU_OPTION = 'com.docker.network.driver.mtu';

/** The ifalias every link the engine makes carries, so that a clean-up after a crash finds it. */
export const ALIAS_PREFIX = 'tscompose';

const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const IFNAME = /^[a-zA-Z0-9_.-]{1,15}$/;

export function checkNetworkName(name: string): void {
  if (!NETWORK_NAME.test(name)) {
    throw new InvalidError(`invalid network name "${name}"`, {
      hint: 'use letters, digits, "_", "." and "-", starting with a letter or digit',
    });
  }
}

export function checkIfname(name: string, what: string): void {
  if (!IFNAME.test(name)) {
    throw new InvalidError(`${what} "${name}" is not a valid interface name`, {
      hint: `at most ${IFNAME_MAX} letters, digits, "_", "." or "-"`,
    });
  }
}

/** `tsc-<8 hex>`: derived from the network's name, so a crashed create is found again. */
export function bridgeName(network: string): string {
  return `tsc-${digest(network).slice(0, 8)}`;
}

/** `tsc-<id12>`: the container's network namespace, as `ip netns` names it. */
export function netnsName(containerId: string): string {
  return `tsc-${containerId.slice(0, 12)}`;
}

/** `tsv<11 hex>`: the host end of a container's veth on one network. */
export function vethName(containerId: string, network: string): string {
  return `tsv${digest(`${containerId}\n${network}`).slice(0, 11)}`;
}

/** The link's ifalias: `tscompose:<project>:<what>`, with `-` for no project. */
export function linkAlias(project: string | null, what: string): string {
  return `${ALIAS_PREFIX}:${project ?? '-'}:${what}`;
}

/** A locally administered MAC made of the address, as Docker made them (02:42:a.b.c.d). */
export function macFor(address: number): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256);
  return [0x02, 0x42, ...octets].map((octet) => octet.toString(16).padStart(2, '0')).join(':');
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
