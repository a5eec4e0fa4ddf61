import { isIPv4, isIPv6 } from 'node:net';
import { InvalidError } from '../../errors.js';
import { bad, readName, u16At, u32At, Writer } from './wire.js';

export const RecordType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255,
} as const;

export const RecordClass = { IN: 1, ANY: 255 } as const;

/** Response codes; BADVERS (16) only exists as an extended code, in the OPT record. */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  BADVERS: 16,
} as const;

export const HEADER_SIZE = 12;
/** What a UDP answer may fill when the client sent no OPT record (RFC 1035 4.2.1). */
export const CLASSIC_UDP_SIZE = 512;
/** What we advertise and the most we send over UDP: the 2020 DNS flag day's safe size. */
export const EDNS_UDP_SIZE = 1232;

export interface DnsQuestion {
  /** Dotted, without the trailing dot, in the case the client sent; `""` is the root. */
  name: string;
  type: number;
  class: number;
}

export interface DnsEdns {
  udpPayloadSize: number;
  version: number;
  dnssecOk: boolean;
}

export interface DnsQuery {
  id: number;
  opcode: number;
  recursionDesired: boolean;
  checkingDisabled: boolean;
  question: DnsQuestion;
  /** The client's OPT record, if it sent one (RFC 6891). */
  edns?: DnsEdns;
}

export type DnsAnswer =
  | { type: 'A' | 'AAAA'; name: string; ttl: number; address: string }
  | { type: 'PTR'; name: string; ttl: number; target: string };

export interface DnsReply {
  /** May be an extended code (BADVERS); its upper bits then go in the OPT record. */
  rcode: number;
  answers?: readonly DnsAnswer[];
  authoritative?: boolean;
}

/**
 * Parses a query. A message that is not one query with one question (a response, a bad
 * name, a field cut short, two OPT records) is refused with an InvalidError: the
 * responder drops those rather than answer them.
 */
export function parseQuery(buffer: Buffer): DnsQuery {
  if (buffer.length < HEADER_SIZE) {
    throw bad(`${buffer.length} bytes are shorter than the ${HEADER_SIZE}-byte header`);
  }
  const flags = buffer.readUInt16BE(2);
  if (flags & 0x8000) throw bad('it is a response, not a query');
  const counts = [4, 6, 8, 10].map((offset) => buffer.readUInt16BE(offset));
  const [questions, answers, authorities, additionals] = counts as [number, number, number, number];
  if (questions !== 1) throw bad(`it has ${questions} questions, not 1`);

  const { name, next } = readName(buffer, HEADER_SIZE);
  const question = { name, type: u16At(buffer, next), class: u16At(buffer, next + 2) };

  let offset = next + 4;
  for (let i = 0; i < answers + authorities; i += 1) offset = skipRecord(buffer, offset).next;
  let edns: DnsEdns | undefined;
  for (let i = 0; i < additionals; i += 1) {
    const record = skipRecord(buffer, offset);
    if (record.type === RecordType.OPT) {
      if (edns) throw bad('it has two OPT records');
      if (record.name !== '') throw bad('its OPT record is not owned by the root');
      edns = {
        udpPayloadSize: record.class,
        version: (record.ttl >>> 16) & 0xff,
        dnssecOk: (record.ttl & 0x8000) !== 0,
      };
    }
    offset = record.next;
  }

  return {
    id: buffer.readUInt16BE(0),
    opcode: (flags >> 11) & 0x0f,
    recursionDesired: (flags & 0x0100) !== 0,
    checkingDisabled: (flags & 0x0010) !== 0,
    question,
    ...(edns && { edns }),
  };
}

/**
 * Encodes the answer to `query`. Answers that would make the message larger than `maxSize`
 * are left out and the TC bit set, so the client asks again over TCP. The question is
 * echoed in the client's case; an OPT record is added when the query had one.
 */
export function encodeResponse(
  query: DnsQuery,
  reply: DnsReply,
  options: { maxSize?: number } = {},
): Buffer {
  const maxSize = options.maxSize ?? 0xffff;
  const out = new Writer();
  const flags = headerFlags(query, reply);
  out.u16(query.id);
  out.u16(flags);
  out.u16(1);
  out.u16(0);
  out.u16(0);
  out.u16(0);
  out.name(query.question.name);
  out.u16(query.question.type);
  out.u16(query.question.class);

  const optSize = query.edns ? 11 : 0;
  let written = 0;
  for (const answer of reply.answers ?? []) {
    const before = out.size;
    writeAnswer(out, answer, query.question.class);
    if (out.size + optSize > maxSize) {
      out.truncate(before);
      out.patchU16(2, flags | 0x0200);
      break;
    }
    written += 1;
  }
  out.patchU16(6, written);

  if (query.edns) {
    out.u8(0);
    out.u16(RecordType.OPT);
    out.u16(EDNS_UDP_SIZE);
    out.u32(((reply.rcode >> 4) & 0xff) << 24);
    out.u16(0);
    out.patchU16(10, 1);
  }
  return out.finish();
}

/** The largest UDP answer this client takes: 512 bytes, or what its OPT record says, capped. */
export function udpLimit(query: DnsQuery): number {
  if (!query.edns) return CLASSIC_UDP_SIZE;
  return Math.min(Math.max(query.edns.udpPayloadSize, CLASSIC_UDP_SIZE), EDNS_UDP_SIZE);
}

/** The response code in a message's header (the lower four bits of it). */
export function headerRcode(message: Buffer): number {
  return u16At(message, 2) & 0x000f;
}

function headerFlags(query: DnsQuery, reply: DnsReply): number {
  let flags = 0x8000 | (query.opcode << 11) | 0x0080 | (reply.rcode & 0x0f);
  if (reply.authoritative) flags |= 0x0400;
  if (query.recursionDesired) flags |= 0x0100;
  if (query.checkingDisabled) flags |= 0x0010;
  return flags;
}

function writeAnswer(out: Writer, answer: DnsAnswer, klass: number): void {
  out.name(answer.name);
  out.u16(RecordType[answer.type]);
  out.u16(klass === RecordClass.ANY ? RecordClass.IN : klass);
  out.u32(answer.ttl);
  const lengthAt = out.size;
  out.u16(0);
  if (answer.type === 'PTR') out.name(answer.target);
  else out.bytes(addressBytes(answer.type, answer.address));
  out.patchU16(lengthAt, out.size - lengthAt - 2);
}

function addressBytes(type: 'A' | 'AAAA', address: string): Buffer {
  if (type === 'A') {
    if (!isIPv4(address)) throw new InvalidError(`"${address}" is not an IPv4 address`);
    return Buffer.from(address.split('.').map(Number));
  }
  if (!isIPv6(address)) throw new InvalidError(`"${address}" is not an IPv6 address`);
  return ipv6Bytes(address);
}

function ipv6Bytes(address: string): Buffer {
  let text = address.split('%')[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

function skipRecord(buffer: Buffer, offset: number) {
  const { name, next } = readName(buffer, offset);
  const type = u16At(buffer, next);
  const klass = u16At(buffer, next + 2);
  const ttl = u32At(buffer, next + 4);
  const length = u16At(buffer, next + 8);
  const end = next + 10 + length;
  if (end > buffer.length) throw bad(`a record at ${offset} runs past the message's end`);
  return { name, type, class: klass, ttl, next: end };
}
