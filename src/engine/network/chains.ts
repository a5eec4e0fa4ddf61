/**
 * The packet filter rules a bridge needs. On a host with br_netfilter on and a FORWARD
 * policy of DROP (any host with Docker), even traffic between two containers on one bridge
 * passes through FORWARD and is dropped unless accepted; a non-internal network also needs
 * NAT to reach beyond the host. Every rule names its bridge, in chains of tscompose's own,
 * so that removing a bridge's rules removes exactly those.
 */
export interface Firewall {
  /** `subnet6` for a network with IPv6: the same rules again, in the IPv6 filter. */
  allowBridge(bridge: string, subnet: string, internal: boolean, subnet6?: string): Promise<void>;
  /** `ipv6`: the bridge had IPv6 rules too. */
  removeBridge(bridge: string, ipv6?: boolean): Promise<void>;
}

/** The chains every backend keeps its rules in; FORWARD and POSTROUTING jump to them. */
export const CHAINS = {
  forward: 'TSCOMPOSE-FORWARD',
  /** Traffic leaving one bridge for another engine bridge: dropped, as Docker isolates networks. */
  isolation: 'TSCOMPOSE-ISOLATION',
  postrouting: 'TSCOMPOSE-POSTROUTING',
} as const;

/** For hosts, and tests, where someone else manages the packet filter. */
export const noFirewall: Firewall = {
  allowBridge: async () => undefined,
  removeBridge: async () => undefined,
};
