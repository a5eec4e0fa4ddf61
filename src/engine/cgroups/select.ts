import type { CgroupDriver } from './driver.js';
import type { CgroupHost } from './types.js';
import { v1Driver } from './v1.js';
import { v2Driver } from './v2.js';

/** The driver for the host's controllers: v1 on hybrid hosts, whose cgroup2 mount has none. */
export function driverFor(host: CgroupHost): CgroupDriver {
  return host.version === 'v1' ? v1Driver(host) : v2Driver(host);
}
