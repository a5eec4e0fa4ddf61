import type { CommandRunner } from './commands.js';
import { succeeds } from './commands.js';
import { CHAINS, type Firewall } from './chains.js';

type Table = 'filter' | 'nat';

/** One rule: the table, the chain it is appended to, and its match and target. */
export interface Rule {
  table: Table;
  chain: string;
  spec: string[];
}

/**
 * A bridge's rules, in order: its own traffic accepted; traffic to another engine bridge sent
 * to the isolation chain; then out to the world and replies back in (NAT'd), or, for an
 * internal network, anything crossing the bridge's edge dropped. Docker's bridge driver
 * behaves the same; these are not its rules.
 */
export function bridgeRules(bridge: string, subnet: string, internal: boolean): Rule[] {
  const forward = (spec: string[]): Rule => ({ table: 'filter', chain: CHAINS.forward, spec });
  const rules: Rule[] = [
    forward(['-i', bridge, '-o', bridge, '-j', 'ACCEPT']),
    forward(['-i', bridge, '!', '-o', bridge, '-j', CHAINS.isolation]),
    { table: 'filter', chain: CHAINS.isolation, spec: ['-o', bridge, '-j', 'DROP'] },
  ];
  if (internal) {
    rules.push(forward(['-i', bridge, '!', '-o', bridge, '-j', 'DROP']));
    rules.push(forward(['-o', bridge, '!', '-i', bridge, '-j', 'DROP']));
    return rules;
  }
  rules.push(forward(['-i', bridge, '!', '-o', bridge, '-j', 'ACCEPT']));
  const established = ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED'];
  rules.push(forward(['-o', bridge, ...established, '-j', 'ACCEPT']));
  rules.push({
    table: 'nat',
    chain: CHAINS.postrouting,
    spec: ['-s', subnet, '!', '-o', bridge, '-j', 'MASQUERADE'],
  });
  return rules;
}

/** The chains, and the jumps from the built-in ones, that the rules live in. */
const SETUP: { table: Table; chain: string; from?: string }[] = [
  { table: 'filter', chain: CHAINS.isolation },
  { table: 'filter', chain: CHAINS.forward, from: 'FORWARD' },
  { table: 'nat', chain: CHAINS.postrouting, from: 'POSTROUTING' },
];

/**
 * iptables, legacy or nf_tables backend: the same commands either way. A network with IPv6
 * gets the same rules from the matching ip6tables (ip6tables-legacy beside iptables-legacy).
 */
export class IptablesFirewall implements Firewall {
  private readonly v4: IptablesFamily;
  private readonly v6: IptablesFamily;

  constructor(
    run: CommandRunner,
    readonly command = 'iptables',
  ) {
    this.v4 = new IptablesFamily(run, command);
    this.v6 = new IptablesFamily(run, command.replace(/^iptables/, 'ip6tables'));
  }

  async allowBridge(
    bridge: string,
    subnet: string,
    internal: boolean,
    subnet6?: string,
  ): Promise<void> {
    await this.v4.allowBridge(bridge, subnet, internal);
    if (subnet6 !== undefined) await this.v6.allowBridge(bridge, subnet6, internal);
  }

  async removeBridge(bridge: string, ipv6 = false): Promise<void> {
    await this.v4.removeBridge(bridge);
    if (ipv6) await this.v6.removeBridge(bridge);
  }

  /** The bridge's rules in the engine's chains, IPv4 or IPv6. */
  rulesOf(bridge: string, family: 4 | 6 = 4): Promise<Rule[]> {
    return (family === 4 ? this.v4 : this.v6).rulesOf(bridge);
  }
}

/** One family's tool: `iptables` or `ip6tables`, each with its own tables and chains. */
class IptablesFamily {
  constructor(
    private readonly run: CommandRunner,
    readonly command: string,
  ) {}

  async allowBridge(bridge: string, subnet: string, internal: boolean): Promise<void> {
    await this.setup();
    const wanted = bridgeRules(bridge, subnet, internal);
    const present = await this.rulesOf(bridge);
    const same =
      present.length === wanted.length &&
      wanted.every((rule) => present.some((have) => sameRule(rule, have)));
    if (same) return;
    // Order matters within a bridge's rules: a partial set is replaced as a whole.
    for (const rule of present) await this.iptables(rule.table, ['-D', rule.chain, ...rule.spec]);
    for (const rule of wanted) await this.iptables(rule.table, ['-A', rule.chain, ...rule.spec]);
  }

  async removeBridge(bridge: string): Promise<void> {
    for (const rule of await this.rulesOf(bridge)) {
      await this.iptables(rule.table, ['-D', rule.chain, ...rule.spec]);
    }
    await this.teardownIfEmpty();
  }

  /**
   * With the last bridge gone, the chains and the jumps to them go too, so that a host
   * the engine no longer uses has none of its rules left.
   */
  private async teardownIfEmpty(): Promise<void> {
    for (const { table, chain } of SETUP) {
      const listing = await this.iptables(table, ['-S', chain]).catch(() => '');
      if (listing.split('\n').some((line) => line.startsWith(`-A ${chain} `))) return;
    }
    for (const { table, chain, from } of [...SETUP].reverse()) {
      if (from !== undefined) {
        while (
          await succeeds(this.run, this.command, ['-w', '-t', table, '-D', from, '-j', chain])
        );
      }
    }
    for (const { table, chain } of SETUP) {
      await succeeds(this.run, this.command, ['-w', '-t', table, '-X', chain]);
    }
  }

  /** The rules in the engine's chains that name `bridge` as their in or out interface. */
  async rulesOf(bridge: string): Promise<Rule[]> {
    const rules: Rule[] = [];
    for (const { table, chain } of SETUP) {
      let listing: string;
      try {
        listing = await this.iptables(table, ['-S', chain]);
      } catch {
        continue; // the chain was never made: nothing of this bridge in it
      }
      for (const line of listing.split('\n')) {
        const words = line.trim().split(/\s+/);
        if (words[0] !== '-A' || words[1] !== chain) continue;
        const spec = words.slice(2);
        const names = spec.some((w, i) => w === bridge && ['-i', '-o'].includes(spec[i - 1]!));
        if (names) rules.push({ table, chain, spec });
      }
    }
    return rules;
  }

  private async setup(): Promise<void> {
    for (const { table, chain, from } of SETUP) {
      if (!(await succeeds(this.run, this.command, ['-w', '-t', table, '-S', chain]))) {
        // Another process may make it at the same moment: only a chain still missing is an error.
        const made = await succeeds(this.run, this.command, ['-w', '-t', table, '-N', chain]);
        if (!made) await this.iptables(table, ['-S', chain]);
      }
      if (from === undefined) continue;
      const jump = [from, '-j', chain];
      if (!(await succeeds(this.run, this.command, ['-w', '-t', table, '-C', ...jump]))) {
        await this.iptables(table, ['-I', from, '1', '-j', chain]);
      }
    }
  }

  private iptables(table: Table, args: string[]): Promise<string> {
    return this.run(this.command, ['-w', '-t', table, ...args]);
  }
}

/** iptables -S prints a rule's words in its own order and spelling: compare as it prints. */
function sameRule(a: Rule, b: Rule): boolean {
  return a.table === b.table && a.chain === b.chain && a.spec.join(' ') === b.spec.join(' ');
}
