// The engine's network layer: bridges, namespaces, veths, leases and firewall rules.
export { NetworkManager } from './manager.js';
export type { AttachOptions, Attachment, NetworkManagerOptions } from './manager.js';
export type { NetworkSpec } from './spec.js';
export type { Lease, NetworkRecord } from './records.js';
export { CHAINS, detectFirewall, noFirewall, type Firewall } from './firewall.js';
export { IptablesFirewall, bridgeRules } from './iptables.js';
export { NftFirewall, NFT_TABLE, nftBridgeRules, type NftFamily } from './nft.js';
export { CommandError, hostCommands, type CommandRunner } from './commands.js';
export { DEFAULT_POOL } from './pool.js';
export { DEFAULT_POOL6 } from './pool6.js';
export { isIpv6Text } from './cidr6.js';
export { DEFAULT_NETNS_DIR } from './namespaces.js';
export {
  bridgeName,
  netnsName,
  vethName,
  ALIAS_PREFIX,
  BRIDGE_NAME_OPTION,
  MTU_OPTION,
} from './names.js';
