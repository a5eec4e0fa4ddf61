import { InvalidError, UnsupportedError } from '../../../errors.js';
import type { OciCapabilities } from './oci.js';

/** Every capability by its number (capability.h), up to CAP_CHECKPOINT_RESTORE (40). */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;

/** Docker's default set, in Docker's order (moby oci/caps/defaults.go). */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
] as const;

export interface CapabilityOptions {
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  privileged?: boolean;
  /** The capabilities the host can give: what `ALL` and privileged mean. */
  available: readonly string[];
}

/**
 * The capability set as Docker computes it: privileged is every capability; `ALL` in
 * cap_add is every one but those dropped; `ALL` in cap_drop leaves only those added;
 * otherwise the defaults less the dropped plus the added. Names are taken in any case,
 * with or without `CAP_`.
 */
export function capabilitySet(options: CapabilityOptions): string[] {
  const { available } = options;
  if (options.privileged) return [...available];
  const add = normalize(options.capAdd ?? [], available);
  const drop = normalize(options.capDrop ?? [], available);
  if (add.includes('ALL')) return available.filter((cap) => !drop.includes(cap));
  if (drop.includes('ALL')) return unique(add.filter((cap) => cap !== 'ALL'));
  return unique([...DEFAULT_CAPABILITIES.filter((cap) => !drop.includes(cap)), ...add]);
}

/**
 * The spec's capability sets for a process running as `uid`. Like Docker (after
 * CVE-2022-24769), the inheritable set stays empty; a process that is not root gets only
 * the bounding set, as execve would leave it.
 */
export function processCapabilities(caps: string[], uid: number): OciCapabilities {
  if (uid !== 0) return { bounding: caps };
  return { bounding: caps, effective: [...caps], permitted: [...caps] };
}

function normalize(names: readonly string[], available: readonly string[]): string[] {
  return names.map((raw) => {
    const upper = raw.trim().toUpperCase();
    if (upper === 'ALL') return upper;
    const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
    if (!(ALL_CAPABILITIES as readonly string[]).includes(name)) {
      throw new InvalidError(`unknown capability: "${raw}"`, {
        hint: 'use a name from capabilities(7), such as NET_ADMIN or SYS_PTRACE, or ALL',
      });
    }
    if (!available.includes(name)) {
      throw new UnsupportedError(`the capability ${name} is not available on this host`, {
        hint: `the kernel lacks it, or tscompose runs without it: remove ${raw} from cap_add/cap_drop`,
      });
    }
    return name;
  });
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
