import {
  Rcode,
  RecordClass,
  RecordType,
  type DnsAnswer,
  type DnsQuery,
  type DnsReply,
} from './packet.js';
import { asciiLower } from './wire.js';

/** The stack's names: what the responder answers itself. */
export interface DnsRecords {
  /**
   * The addresses of `name` for the `client` that asks (when known), given in lower case
   * and without the trailing dot; undefined
   * when the name is not the stack's (the query then goes to the host's resolvers). A name
   * with no address of a family answers that family with NOERROR and no records.
   */
  lookup(name: string, client?: string): { ipv4: string[]; ipv6: string[] } | undefined;
  /**
   * The names that own `address` (IPv4 dotted, IPv6 in RFC 5952 form: `fd00::2`), first
   * the one a PTR query answers; undefined forwards the query. Optional.
   */
  reverse?(address: string): string[] | undefined;
}

export interface LocalContext {
  records: DnsRecords;
  /**
   * The address the query came from, which `lookup` is told: a container on several
   * networks resolves the names of all of them through the one resolver it has.
   */
  client?: string;
  /** Lower case, without leading or trailing dots. */
  searchDomains: readonly string[];
  ttl: number;
  rotation: RoundRobin;
}

/** The reply the responder gives itself, or undefined when the query is to be forwarded. */
export function answerLocally(query: DnsQuery, context: LocalContext): DnsReply | undefined {
  if (query.opcode !== 0) return { rcode: Rcode.NOTIMP };
  if (query.edns && query.edns.version > 0) return { rcode: Rcode.BADVERS };
  const { name, type } = query.question;
  if (query.question.class !== RecordClass.IN && query.question.class !== RecordClass.ANY) {
    return undefined;
  }
  if (type === RecordType.PTR) return answerReverse(query, context);

  const found = findName(asciiLower(name), context);
  if (!found) return undefined;

  const answers: DnsAnswer[] = [];
  const { ttl, rotation } = context;
  if (type === RecordType.A || type === RecordType.ANY) {
    for (const address of rotation.rotate(`${found.candidate}/A`, found.entry.ipv4)) {
      answers.push({ type: 'A', name, ttl, address });
    }
  }
  if (type === RecordType.AAAA || type === RecordType.ANY) {
    for (const address of rotation.rotate(`${found.candidate}/AAAA`, found.entry.ipv6)) {
      answers.push({ type: 'AAAA', name, ttl, address });
    }
  }
  return { rcode: Rcode.NOERROR, authoritative: true, answers };
}

/** The name itself, else the name without the first search domain it ends in that is ours. */
function findName(name: string, context: LocalContext) {
  const names = [name];
  for (const domain of context.searchDomains) {
    if (name.endsWith(`.${domain}`)) names.push(name.slice(0, -(domain.length + 1)));
  }
  for (const candidate of names) {
    const entry = context.records.lookup(candidate, context.client);
    if (entry) return { candidate, entry };
  }
  return undefined;
}

function answerReverse(query: DnsQuery, context: LocalContext): DnsReply | undefined {
  const address = reverseAddress(asciiLower(query.question.name));
  if (address === undefined || !context.records.reverse) return undefined;
  const names = context.records.reverse(address);
  if (names === undefined) return undefined;
  const { name } = query.question;
  const answers = names
    .slice(0, 1)
    .map((target): DnsAnswer => ({ type: 'PTR', name, ttl: context.ttl, target }));
  return { rcode: Rcode.NOERROR, authoritative: true, answers };
}

/** `4.3.2.1.in-addr.arpa` is 1.2.3.4; 32 nibbles under `ip6.arpa` are an IPv6 address. */
export function reverseAddress(name: string): string | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (v4) {
    const octets = v4.slice(1).reverse().map(Number);
    if (octets.some((octet) => octet > 255) || v4.slice(1).some((o) => /^0\d/.test(o))) {
      return undefined;
    }
    return octets.join('.');
  }
  const v6 = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(name);
  if (!v6) return undefined;
  const nibbles = v6[1]!.split('.').filter(Boolean).reverse();
  const groups: number[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(parseInt(nibbles.slice(i, i + 4).join(''), 16));
  return formatIPv6(groups);
}

/** RFC 5952: lower-case groups without leading zeros, the longest run of 2+ zeros as `::`. */
export function formatIPv6(groups: readonly number[]): string {
  let best = { start: -1, length: 1 };
  for (let i = 0; i < groups.length;) {
    let j = i;
    while (j < groups.length && groups[j] === 0) j += 1;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.start < 0) return hex.join(':');
  const head = hex.slice(0, best.start).join(':');
  const tail = hex.slice(best.start + best.length).join(':');
  return `${head}::${tail}`;
}

/**
 * Hands out a name's addresses starting one further on each time, so clients that take the
 * first address spread over the replicas. Bounded: forgets every position past 4,096 names.
 */
export class RoundRobin {
  private readonly next = new Map<string, number>();

  rotate<T>(key: string, items: readonly T[]): T[] {
    if (items.length < 2) return [...items];
    if (this.next.size >= 4096 && !this.next.has(key)) this.next.clear();
    const start = (this.next.get(key) ?? 0) % items.length;
    this.next.set(key, start + 1);
    return [...items.slice(start), ...items.slice(0, start)];
  }
}
