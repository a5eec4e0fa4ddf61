export interface NetworkSpec {
  /** The full name, as Docker Compose makes it: `<project>_<key>`, or `name:`. */
  name: string;
  project: string | null;
  /** No route out, no NAT. */
  internal?: boolean;
  /** `ipam.config[0].subnet`; else the first free /24 of the pool. */
  subnet?: string;
  /** Else the subnet's first address. */
  gateway?: string;
  /** Dynamic leases only from here. */
  ipRange?: string;
  labels?: Record<string, string>;
  /** com.docker.network.bridge.name and com.docker.network.driver.mtu are read. */
  driverOpts?: Record<string, string>;
}
