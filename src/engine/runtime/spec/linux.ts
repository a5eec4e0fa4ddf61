import type { ContainerSpec } from '../types.js';
import type { HostFacts } from './host.js';
import { containerNamespaces } from './namespaces.js';
import type { OciDeviceRule, OciLinux } from './oci.js';
import { cgroupResources } from './resources.js';
import { containerSysctls } from './sysctls.js';

/** Paths of /proc and /sys hidden from the container: they tell of the host (Docker's list). */
export const MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** Paths of /proc the container may read but not write: they are the host kernel's settings. */
export const READONLY_PATHS = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

/**
 * The devices cgroup as Docker sets it: deny all, then allow the few nodes every container
 * has (zero, null, urandom, random, tty, console), and deny /dev/net/tun explicitly. The
 * nodes themselves are not listed: the runtime makes null, zero, full, random, urandom and
 * tty, a console from the terminal and ptmx from /dev/pts, and adds its own rules for them.
 */
function defaultDeviceRules(): OciDeviceRule[] {
  const char = (major: number, minor: number, allow = true): OciDeviceRule => ({
    allow,
    type: 'c',
    major,
    minor,
    access: 'rwm',
  });
  return [
    { allow: false, access: 'rwm' },
    char(1, 5),
    char(1, 3),
    char(1, 9),
    char(1, 8),
    char(5, 0),
    char(5, 1),
    char(10, 229, false),
  ];
}

/**
 * The `linux` section. A privileged container sees all of /proc and /sys, gets every
 * device of the host, and may use any device.
 */
export function linuxSection(spec: ContainerSpec, cgroupsPath: string, host: HostFacts): OciLinux {
  const namespaces = containerNamespaces(spec, host.unifiedCgroup);
  const privileged = spec.privileged === true;
  const linux: OciLinux = {
    namespaces,
    devices: privileged ? host.devices() : [],
    cgroupsPath,
    resources: {
      devices: privileged ? [{ allow: true, access: 'rwm' }] : defaultDeviceRules(),
      ...cgroupResources(spec.resources),
    },
  };
  const sysctl = containerSysctls({
    sysctls: spec.sysctls ?? {},
    domainname: spec.domainname,
    ownNetwork: spec.network.kind !== 'host',
    namespaces,
  });
  if (sysctl) linux.sysctl = sysctl;
  if (!privileged) {
    linux.maskedPaths = [...MASKED_PATHS];
    linux.readonlyPaths = [...READONLY_PATHS];
  }
  return linux;
}
