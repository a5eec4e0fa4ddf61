import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import { headerRcode, Rcode } from './packet.js';
import type { Upstream } from './resolv-conf.js';
import { FrameReader, frame } from './tcp.js';
import { asciiLower, readName } from './wire.js';

export type Transport = 'udp' | 'tcp';

export type ForwardResult =
  { kind: 'reply'; message: Buffer } | { kind: 'busy' } | { kind: 'failed'; reason: string };

export interface ForwarderOptions {
  upstream: readonly Upstream[];
  /** How long each upstream gets to answer. */
  timeoutMs: number;
  maxInFlight: number;
}

/**
 * Sends queries that are not the stack's to the host's resolvers, one after the other,
 * and hands back the first usable reply verbatim but for the ID. Each attempt has its own
 * socket and a fresh random ID (and, over UDP, a random source port), so a reply is only
 * taken from the upstream asked, for the question asked.
 */
export class Forwarder {
  private readonly attempts = new Set<() => void>();
  private inFlight = 0;
  private closed = false;

  constructor(private readonly options: ForwarderOptions) {}

  async forward(query: Buffer, transport: Transport): Promise<ForwardResult> {
    if (this.closed) return { kind: 'failed', reason: 'the responder is closing' };
    if (this.inFlight >= this.options.maxInFlight) return { kind: 'busy' };
    if (this.options.upstream.length === 0) return { kind: 'failed', reason: 'no upstream' };
    this.inFlight += 1;
    try {
      return await this.tryEach(query, transport);
    } finally {
      this.inFlight -= 1;
    }
  }

  /** Ends every attempt still waiting; their queries fail. */
  close(): void {
    this.closed = true;
    for (const end of [...this.attempts]) end();
  }

  private async tryEach(query: Buffer, transport: Transport): Promise<ForwardResult> {
    const clientId = query.readUInt16BE(0);
    let fallback: Buffer | undefined;
    let reason = 'no upstream answered';

    for (const upstream of this.options.upstream) {
      if (this.closed) break;
      const id = randomInt(0, 0x10000);
      const outgoing = Buffer.from(query);
      outgoing.writeUInt16BE(id, 0);
      const reply = await this.attempt(upstream, outgoing, id, transport);
      if (typeof reply === 'string') {
        reason = `${upstream.address}#${upstream.port}: ${reply}`;
        continue;
      }
      reply.writeUInt16BE(clientId, 0);
      // A resolver that fails or refuses may be alone in that: ask the next one first.
      const rcode = headerRcode(reply);
      if (rcode !== Rcode.SERVFAIL && rcode !== Rcode.REFUSED) {
        return { kind: 'reply', message: reply };
      }
      fallback ??= reply;
    }
    return fallback ? { kind: 'reply', message: fallback } : { kind: 'failed', reason };
  }

  /** The upstream's reply, or why there is none. */
  private attempt(
    upstream: Upstream,
    query: Buffer,
    id: number,
    transport: Transport,
  ): Promise<Buffer | string> {
    return new Promise((resolve) => {
      let done = false;
      const cleanups: (() => void)[] = [];
      const finish = (result: Buffer | string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.attempts.delete(abort);
        for (const cleanup of cleanups) cleanup();
        resolve(result);
      };
      const abort = () => finish('the responder closed');
      const { timeoutMs } = this.options;
      const timer = setTimeout(() => finish(`no answer in ${timeoutMs} ms`), timeoutMs);
      this.attempts.add(abort);
      const accept = (message: Buffer) => {
        if (answers(message, query, id)) finish(Buffer.from(message));
      };
      if (transport === 'udp') cleanups.push(sendUdp(upstream, query, accept, finish));
      else cleanups.push(sendTcp(upstream, query, accept, finish));
    });
  }
}

/**
 * Whether `message` is the reply to `query`: our ID, the QR bit, and the same question
 * (some servers leave the question out of a FORMERR; that is taken too).
 */
function answers(message: Buffer, query: Buffer, id: number): boolean {
  if (message.length < 12 || message.readUInt16BE(0) !== id || !(message[2]! & 0x80)) return false;
  if (message.readUInt16BE(4) === 0) return true;
  const nameEnd = questionNameEnd(query);
  if (nameEnd === undefined || message.length < nameEnd + 4) return false;
  const name = (buffer: Buffer) => asciiLower(buffer.toString('latin1', 12, nameEnd));
  return (
    name(message) === name(query) &&
    message.subarray(nameEnd, nameEnd + 4).equals(query.subarray(nameEnd, nameEnd + 4))
  );
}

function questionNameEnd(query: Buffer): number | undefined {
  try {
    return readName(query, 12).next;
  } catch {
    return undefined;
  }
}

function sendUdp(
  upstream: Upstream,
  query: Buffer,
  accept: (message: Buffer) => void,
  fail: (reason: string) => void,
): () => void {
  const socket = createSocket(isIPv6(upstream.address.split('%')[0]!) ? 'udp6' : 'udp4');
  socket.on('error', (error) => fail(error.message));
  socket.on('message', accept);
  // A connected socket only takes datagrams from the upstream, and hears of an ICMP
  // "port unreachable" as an error, which moves on to the next upstream at once.
  socket.connect(upstream.port, upstream.address, () => {
    socket.send(query, (error) => {
      if (error) fail(error.message);
    });
  });
  return () => {
    try {
      socket.close();
    } catch {
      // Already closed by an error: nothing left to release.
    }
  };
}

function sendTcp(
  upstream: Upstream,
  query: Buffer,
  accept: (message: Buffer) => void,
  fail: (reason: string) => void,
): () => void {
  const socket = connect({ host: upstream.address, port: upstream.port });
  const reader = new FrameReader();
  socket.setNoDelay(true);
  socket.on('error', (error) => fail(error.message));
  socket.on('close', () => fail('the connection closed without an answer'));
  socket.on('data', (chunk) => {
    for (const message of reader.push(chunk)) accept(message);
  });
  socket.write(frame(query));
  return () => socket.destroy();
}
