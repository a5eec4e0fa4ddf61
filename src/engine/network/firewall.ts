import { UnsupportedError } from '../../errors.js';
import { hostCommands, succeeds, type CommandRunner } from './commands.js';
import { FIREWALL_LOCK, withHostLock } from './host-lock.js';
import { IptablesFirewall } from './iptables.js';
import { NftFirewall } from './nft.js';
import type { Firewall } from './chains.js';

export { CHAINS, noFirewall, type Firewall } from './chains.js';

/**
 * The host's packet filter, found on first use: `iptables` (whichever backend it is, as
 * Docker uses it, or the other one where only that one holds rules), else `nft`. Each
 * change holds the host's firewall lock, which every engine on the host shares.
 */
export function detectFirewall(options: { run?: CommandRunner; lockFile?: string } = {}): Firewall {
  const run = options.run ?? hostCommands();
  const lockFile = options.lockFile ?? FIREWALL_LOCK;
  let chosen: Promise<Firewall> | undefined;
  const backend = () => (chosen ??= chooseFirewall(run));
  return {
    allowBridge: (bridge, subnet, internal, subnet6) =>
      withHostLock(lockFile, async () =>
        (await backend()).allowBridge(bridge, subnet, internal, subnet6),
      ),
    removeBridge: (bridge, ipv6) =>
      withHostLock(lockFile, async () => (await backend()).removeBridge(bridge, ipv6)),
  };
}

export async function chooseFirewall(run: CommandRunner): Promise<Firewall> {
  if (await succeeds(run, 'iptables', ['-V'])) {
    const version = await run('iptables', ['-V']);
    const other = version.includes('nf_tables') ? 'iptables-legacy' : 'iptables-nft';
    // A host whose iptables was switched to the other backend after Docker set its rules up
    // keeps them there: the FORWARD policy that drops is the one in that backend.
    if (!(await forwardInUse(run, 'iptables')) && (await forwardInUse(run, other))) {
      return new IptablesFirewall(run, other);
    }
    return new IptablesFirewall(run, 'iptables');
  }
  if (await succeeds(run, 'nft', ['--version'])) return new NftFirewall(run);
  return missingFirewall;
}

/** FORWARD drops by default or holds rules: the backend this host filters with. */
async function forwardInUse(run: CommandRunner, command: string): Promise<boolean> {
  try {
    // Listing legacy tables instantiates them (and iptables-nft warns of them ever after):
    // look only where the kernel says a legacy filter table exists already.
    if (command === 'iptables-legacy') {
      const tables = await run('cat', ['/proc/net/ip_tables_names']);
      if (!tables.split('\n').includes('filter')) return false;
    }
    const rules = await run(command, ['-w', '-S', 'FORWARD']);
    return /^-P FORWARD DROP$/m.test(rules) || /^-A FORWARD /m.test(rules);
  } catch {
    return false;
  }
}

const missingFirewall: Firewall = {
  allowBridge: async () => {
    throw new UnsupportedError('neither iptables nor nft is installed', {
      hint: 'install the iptables package (apt-get install iptables)',
    });
  },
  removeBridge: async () => undefined,
};
