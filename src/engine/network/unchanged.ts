import { ConflictError } from '../../errors.js';
import { formatCidr, parseCidr } from './cidr.js';
import { formatCidr6, formatIp6, parseCidr6, parseIp6 } from './cidr6.js';
import type { NetworkRecord } from './records.js';
import type { NetworkSpec } from './spec.js';

/** A network keeps the subnet and kind it was made with: a different spec must recreate it. */
export function checkUnchanged(record: NetworkRecord, spec: NetworkSpec): void {
  const differs: string[] = [];
  if ((spec.internal ?? false) !== record.internal) differs.push('internal');
  if (spec.subnet !== undefined && formatCidr(parseCidr(spec.subnet)) !== record.subnet) {
    differs.push('subnet');
  }
  if (spec.gateway !== undefined && spec.gateway !== record.gateway) differs.push('gateway');
  if (spec.ipRange !== record.ipRange && spec.ipRange !== undefined) differs.push('ip_range');
  if ((spec.enableIpv6 ?? false) !== (record.subnet6 !== undefined)) differs.push('enable_ipv6');
  else if (record.subnet6 !== undefined) differs.push(...ipv6Differences(record, spec));
  if (differs.length === 0) return;
  throw new ConflictError(
    `network "${record.name}" exists with a different ${differs.join(', ')}`,
    { hint: 'remove it (tscompose down) so that it is made again' },
  );
}

/** The IPv6 settings the spec names that the record does not have. */
function ipv6Differences(record: NetworkRecord, spec: NetworkSpec): string[] {
  const differs: string[] = [];
  const same = (a: string, b: string | undefined, parse: (text: string) => string) =>
    b === undefined || parse(a) === parse(b);
  const cidr = (text: string) => formatCidr6(parseCidr6(text));
  const ip = (text: string) => formatIp6(parseIp6(text.split('/')[0]!));
  if (spec.subnet6 !== undefined && !same(record.subnet6!, spec.subnet6, cidr)) {
    differs.push('IPv6 subnet');
  }
  if (!same(record.gateway6!, spec.gateway6, ip)) differs.push('IPv6 gateway');
  const range = record.ipRange6;
  if (spec.ipRange6 !== undefined && (range === undefined || !same(range, spec.ipRange6, cidr))) {
    differs.push('IPv6 ip_range');
  }
  return differs;
}
