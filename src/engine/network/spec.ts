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
  /** `enable_ipv6`: an IPv6 subnet beside the IPv4 one. */
  enableIpv6?: boolean;
  /** The ipam entry whose subnet is IPv6; else the first free /64 of the IPv6 pool. */
  subnet6?: string;
  /** Else the IPv6 subnet's first address after its own. */
  gateway6?: string;
  ipRange6?: string;
  labels?: Record<string, string>;
  /** com.docker.network.bridge.name and com.docker.network.driver.mtu are read. */
  driverOpts?: Record<string, string>;
}
