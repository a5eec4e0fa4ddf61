import { InvalidError } from '../../../errors.js';
import type { OciNamespace } from './oci.js';

/** The kernel.* sysctls that belong to the IPC namespace (runc's list). */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

export interface SysctlInput {
  sysctls: Record<string, string>;
  domainname?: string;
  /** Whether the engine made the container's network namespace (not host, not joined). */
  ownNetwork: boolean;
  namespaces: readonly OciNamespace[];
}

/**
 * The sysctls as Docker sets them: `kernel.domainname` for the domain name (the spec of
 * 1.0.2 has no field for it), then, in a network namespace of the container's own, ICMP
 * echo sockets for every group and ports below 1024 for every user (what the default
 * capabilities grant anyway), then the service's, which win.
 *
 * Each is checked here, as runc would check it at create, to fail with the service's
 * words instead of a runtime's: a sysctl must belong to a namespace the container has.
 */
export function containerSysctls(input: SysctlInput): Record<string, string> | undefined {
  const sysctls: Record<string, string> = {};
  if (input.domainname) sysctls['kernel.domainname'] = input.domainname;
  if (input.ownNetwork) {
    sysctls['net.ipv4.ping_group_range'] = '0 2147483647';
    sysctls['net.ipv4.ip_unprivileged_port_start'] = '0';
  }
  const has = (type: OciNamespace['type']) => input.namespaces.some((ns) => ns.type === type);
  for (const [name, value] of Object.entries(input.sysctls)) {
    checkSysctl(name, has);
    sysctls[name] = value;
  }
  return Object.keys(sysctls).length > 0 ? sysctls : undefined;
}

function checkSysctl(name: string, has: (type: OciNamespace['type']) => boolean): void {
  const where = `sysctls.${name}`;
  if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) {
    if (has('ipc')) return;
    throw new InvalidError(`sysctl ${name} is not allowed with ipc: host`, {
      path: where,
      hint: 'it would change the host: drop it, or give the service its own IPC namespace',
    });
  }
  if (name.startsWith('net.')) {
    if (has('network')) return;
    throw new InvalidError(`sysctl ${name} is not allowed with network_mode: host`, {
      path: where,
      hint: 'it would change the host: drop it, or put the service on a network of its own',
    });
  }
  if (name === 'kernel.domainname') return;
  if (name === 'kernel.hostname') {
    throw new InvalidError('sysctl kernel.hostname is not allowed', {
      path: where,
      hint: 'set hostname: for the service instead',
    });
  }
  throw new InvalidError(`sysctl ${name} is not namespaced: a container cannot set it`, {
    path: where,
    hint: 'only IPC (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*) and network (net.*) sysctls can be set per container',
  });
}
