import { UnsupportedError } from '../../errors.js';
import type { Db } from '../state/db.js';
import { now } from '../state/db.js';
import { CommandError } from './commands.js';
import type { IpRoute } from './iproute.js';
import { ALIAS_PREFIX } from './names.js';

const FORWARDING = 'net.ipv6.conf.all.forwarding';

/**
 * Why this host cannot give a network IPv6, or undefined when it can: a kernel booted with
 * `ipv6.disable=1` has no /proc/net/if_inet6; `disable_ipv6` on `all` turns it off everywhere.
 */
export async function ipv6Unavailable(ip: IpRoute): Promise<string | undefined> {
  try {
    await ip.exec('cat', ['/proc/net/if_inet6']);
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    return 'the kernel has no IPv6 (no /proc/net/if_inet6: booted with ipv6.disable=1?)';
  }
  const disabled = (await ip.exec('cat', ['/proc/sys/net/ipv6/conf/all/disable_ipv6'])).trim();
  if (disabled !== '0') return 'IPv6 is disabled on this host (net.ipv6.conf.all.disable_ipv6 = 1)';
  return undefined;
}

/** Refuses a network with IPv6 on a host that cannot give it, saying why and what to do. */
export async function requireIpv6(ip: IpRoute, network: string): Promise<void> {
  const reason = await ipv6Unavailable(ip);
  if (reason === undefined) return;
  throw new UnsupportedError(`network "${network}" enables IPv6, but ${reason}`, {
    hint: 'turn IPv6 on (sysctl -w net.ipv6.conf.all.disable_ipv6=0), or leave enable_ipv6 out',
  });
}

/**
 * Turns on IPv6 forwarding for a network whose containers reach beyond the host, recording
 * the value it had so that `putBackIpv6Forwarding` restores it. Traffic between containers
 * of one bridge, or to its gateway, needs none of this: it is bridged, not routed.
 *
 * With forwarding on, Linux ignores router advertisements on links whose accept_ra is 1: a
 * host that learns its IPv6 default route that way would lose it when the route expires.
 * That host is refused, with the setting that lets both work, rather than cut off.
 */
export async function enableIpv6Forwarding(ip: IpRoute, db: Db, network: string): Promise<void> {
  const value = (await ip.exec('sysctl', ['-n', FORWARDING])).trim();
  if (value === '1') return;
  for (const route of await ip.routes6()) {
    if (route.dst !== 'default' || route.protocol !== 'ra' || route.dev === undefined) continue;
    const acceptRa = (
      await ip.exec('sysctl', ['-n', `net/ipv6/conf/${route.dev}/accept_ra`])
    ).trim();
    if (acceptRa !== '1') continue;
    throw new UnsupportedError(
      `network "${network}" needs IPv6 forwarding, which would make this host ignore the router advertisements on ${route.dev} that give it its IPv6 default route`,
      {
        hint: `set net.ipv6.conf.${route.dev}.accept_ra=2 (keep them with forwarding on), turn on ${FORWARDING} yourself, or make the network internal`,
      },
    );
  }
  // Recorded first: putting back a value that was never changed is harmless, a change
  // that is not recorded would never be put back.
  db.prepare(
    'INSERT OR IGNORE INTO host_settings (name, original, changed_at) VALUES (?, ?, ?)',
  ).run(FORWARDING, value, now());
  await ip.exec('sysctl', ['-q', '-w', `${FORWARDING}=1`]);
}

/**
 * Once no network needs it: IPv6 forwarding back to what it was before the engine turned it
 * on. Not while any bridge of the engine (of this state database or another's) still carries
 * IPv6 beside the ones `leaving`, since its containers may be using it; the record stays, and
 * the next network removed tries again.
 */
export async function putBackIpv6Forwarding(
  ip: IpRoute,
  db: Db,
  options: { stillNeeded: boolean; leaving: readonly string[] },
): Promise<void> {
  const row = db.prepare('SELECT original FROM host_settings WHERE name = ?').get(FORWARDING) as
    { original: string } | undefined;
  if (!row || options.stillNeeded) return;
  const engineBridges = new Set(
    (await ip.links())
      .filter((link) => link.linkinfo?.info_kind === 'bridge')
      .filter((link) => link.ifalias?.startsWith(`${ALIAS_PREFIX}:`))
      .map((link) => link.ifname),
  );
  const inUse = (await ip.globalAddresses6()).some(
    (entry) => engineBridges.has(entry.ifname) && !options.leaving.includes(entry.ifname),
  );
  if (inUse) return;
  await ip.exec('sysctl', ['-q', '-w', `${FORWARDING}=${row.original}`]);
  db.prepare('DELETE FROM host_settings WHERE name = ?').run(FORWARDING);
}
