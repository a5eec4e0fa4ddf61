/**
 * The packet filter rules a bridge needs. On a host with br_netfilter on and a FORWARD
 * policy of DROP (any host with Docker), even traffic between two containers on one bridge
 * passes through FORWARD and is dropped unless accepted; a non-internal network also needs
 * NAT to reach beyond the host. Every rule names its bridge, in chains of tscompose's own,
 * so that removing a bridge's rules removes exactly those.
 */
export interface Firewall {
  allowBridge(bridge: string, subnet: string, internal: boolean): Promise<void>;
  removeBridge(bridge: string): Promise<void>;
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
