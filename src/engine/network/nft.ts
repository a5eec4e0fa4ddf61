import { CHAINS, type Firewall } from './chains.js';
import type { CommandRunner } from './commands.js';

/** The engine's own nftables table; deleting a bridge's rules never touches another table. */
export const NFT_TABLE = 'tscompose';

/** nft's address families: the IPv4 rules live in `ip tscompose`, the IPv6 ones in `ip6 tscompose`. */
export type NftFamily = 'ip' | 'ip6';

interface NftRule {
  chain: string;
  words: string[];
}

interface Listing {
  nftables?: { rule?: { chain: string; handle: number; expr?: unknown[] } }[];
}

/** A bridge's rules in nft's words: the same policy as the iptables backend's. */
export function nftBridgeRules(
  bridge: string,
  subnet: string,
  internal: boolean,
  family: NftFamily = 'ip',
): NftRule[] {
  const name = `"${bridge}"`;
  const forward = (...words: string[]): NftRule => ({ chain: CHAINS.forward, words });
  const rules: NftRule[] = [
    forward('iifname', name, 'oifname', name, 'accept'),
    forward('iifname', name, 'oifname', '!=', name, 'jump', CHAINS.isolation),
    { chain: CHAINS.isolation, words: ['oifname', name, 'drop'] },
  ];
  if (internal) {
    rules.push(forward('iifname', name, 'oifname', '!=', name, 'drop'));
    rules.push(forward('oifname', name, 'iifname', '!=', name, 'drop'));
    return rules;
  }
  rules.push(forward('iifname', name, 'oifname', '!=', name, 'accept'));
  rules.push(forward('oifname', name, 'ct', 'state', 'related,established', 'accept'));
  rules.push({
    chain: CHAINS.postrouting,
    words: [family, 'saddr', subnet, 'oifname', '!=', name, 'masquerade'],
  });
  return rules;
}

const BASE_CHAINS: Record<string, string> = {
  [CHAINS.forward]: '{ type filter hook forward priority filter ; policy accept ; }',
  [CHAINS.isolation]: '',
  [CHAINS.postrouting]: '{ type nat hook postrouting priority srcnat ; policy accept ; }',
};

/**
 * Native nftables, for hosts without iptables. A limit of nftables itself: an accept in this
 * table cannot overrule a drop in another table's forward chain, so a host whose own nft
 * ruleset drops forwarded traffic needs its own rule for the engine's bridges.
 */
export class NftFirewall implements Firewall {
  constructor(private readonly run: CommandRunner) {}

  async allowBridge(
    bridge: string,
    subnet: string,
    internal: boolean,
    subnet6?: string,
  ): Promise<void> {
    await this.allowIn('ip', bridge, subnet, internal);
    if (subnet6 !== undefined) await this.allowIn('ip6', bridge, subnet6, internal);
  }

  async removeBridge(bridge: string, ipv6 = false): Promise<void> {
    await this.delete('ip', await this.handlesOf(bridge));
    await this.teardownIfEmpty('ip');
    if (ipv6) {
      await this.delete('ip6', await this.handlesOf(bridge, 'ip6'));
      await this.teardownIfEmpty('ip6');
    }
  }

  /**
   * With no bridge's rules left, the table goes, so that a host the engine no longer uses
   * has none of its rules left, as with iptables. (The caller holds the host's firewall
   * lock: no other engine adds a rule in between.)
   */
  private async teardownIfEmpty(family: NftFamily): Promise<void> {
    let listing: Listing;
    try {
      listing = JSON.parse(
        await this.run('nft', ['-j', 'list', 'table', family, NFT_TABLE]),
      ) as Listing;
    } catch {
      return; // no table
    }
    if ((listing.nftables ?? []).some((item) => item.rule !== undefined)) return;
    await this.run('nft', ['delete', 'table', family, NFT_TABLE]);
  }

  private async allowIn(family: NftFamily, bridge: string, subnet: string, internal: boolean) {
    await this.setup(family);
    const wanted = nftBridgeRules(bridge, subnet, internal, family);
    const present = await this.handlesOf(bridge, family);
    const same = Object.keys(BASE_CHAINS).every(
      (chain) =>
        wanted.filter((rule) => rule.chain === chain).length ===
        present.filter((rule) => rule.chain === chain).length,
    );
    if (same) return;
    await this.delete(family, present);
    for (const rule of wanted) {
      await this.run('nft', ['add', 'rule', family, NFT_TABLE, rule.chain, ...rule.words]);
    }
  }

  /** Rules of the engine's table that match `bridge` as their in or out interface. */
  async handlesOf(
    bridge: string,
    family: NftFamily = 'ip',
  ): Promise<{ chain: string; handle: number }[]> {
    const found: { chain: string; handle: number }[] = [];
    for (const chain of Object.keys(BASE_CHAINS)) {
      let listing: Listing;
      try {
        listing = JSON.parse(
          await this.run('nft', ['-j', 'list', 'chain', family, NFT_TABLE, chain]),
        ) as Listing;
      } catch {
        continue; // no table or chain yet
      }
      for (const { rule } of listing.nftables ?? []) {
        if (rule && namesInterface(rule.expr ?? [], bridge)) {
          found.push({ chain, handle: rule.handle });
        }
      }
    }
    return found;
  }

  private async delete(family: NftFamily, rules: { chain: string; handle: number }[]) {
    for (const { chain, handle } of rules) {
      const args = ['delete', 'rule', family, NFT_TABLE, chain, 'handle', String(handle)];
      await this.run('nft', args);
    }
  }

  /** `add` is idempotent in nft: an existing table or chain is left as it is. */
  private async setup(family: NftFamily): Promise<void> {
    await this.run('nft', ['add', 'table', family, NFT_TABLE]);
    for (const [chain, base] of Object.entries(BASE_CHAINS)) {
      const args = ['add', 'chain', family, NFT_TABLE, chain];
      await this.run('nft', base ? [...args, base] : args);
    }
  }
}

function namesInterface(expr: unknown[], bridge: string): boolean {
  return expr.some((item) => {
    const match = (item as { match?: { left?: { meta?: { key?: string } }; right?: unknown } })
      .match;
    const key = match?.left?.meta?.key;
    return (key === 'iifname' || key === 'oifname') && match?.right === bridge;
  });
}
