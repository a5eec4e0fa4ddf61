// The DNS responder on 127.0.0.1, asked over UDP and TCP by a small client: the stack's
// names (replicas rotated, any case, behind a search domain), and other names forwarded
// to fake upstreams started here (one that answers, one that refuses, one that never
// answers). Nothing leaves 127.0.0.1; every socket is closed after each test.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DnsResponder,
  Rcode,
  RecordType,
  type DnsRecords,
  type DnsResponderOptions,
} from '../../src/engine/dns/index.js';
import { FrameReader, frame } from '../../src/engine/dns/tcp.js';
import { readName } from '../../src/engine/dns/wire.js';
import { ConflictError } from '../../src/errors.js';

const LOCAL = '127.0.0.1';
/** How long a test waits for an answer it expects before it fails (not a sleep). */
const PATIENCE_MS = 3000;

const STACK: Record<string, { ipv4: string[]; ipv6: string[] }> = {
  web: { ipv4: ['10.0.0.2', '10.0.0.3', '10.0.0.4'], ipv6: [] },
  db: { ipv4: ['10.0.0.5'], ipv6: ['fd00::5'] },
  many: { ipv4: Array.from({ length: 60 }, (_, i) => `10.0.1.${i + 1}`), ipv6: [] },
};
const records: DnsRecords = {
  lookup: (name) => STACK[name],
  reverse: (address) => (address === '10.0.0.5' ? ['db'] : undefined),
};

let cleanups: (() => Promise<void> | void)[] = [];
test.after.each(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function responder(options: Partial<DnsResponderOptions> = {}): Promise<DnsResponder> {
  const started = await DnsResponder.start({
    listen: { address: LOCAL, port: 0 },
    records,
    upstream: [],
    searchDomains: ['corp.example'],
    timeoutMs: 200,
    ...options,
  });
  cleanups.push(() => started.close());
  return started;
}

function query(id: number, name: string, type: number, edns = false): Buffer {
  const labels = name
    .split('.')
    .map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(edns ? 1 : 0, 10);
  const tail = Buffer.from([0, type >> 8, type & 0xff, 0, 1]);
  const opt = edns ? Buffer.from('00002910000000000000' + '00', 'hex') : Buffer.alloc(0);
  return Buffer.concat([header, ...labels, tail, opt]);
}

interface Reply {
  id: number;
  rcode: number;
  truncated: boolean;
  question: string;
  answers: string[];
}

/** Just enough of a response to assert on: A, AAAA and PTR data as text. */
function parseReply(message: Buffer): Reply {
  const { name: question, next } = readName(message, 12);
  let offset = next + 4;
  const answers: string[] = [];
  for (let i = 0; i < message.readUInt16BE(6); i += 1) {
    const owner = readName(message, offset);
    const type = message.readUInt16BE(owner.next);
    const length = message.readUInt16BE(owner.next + 8);
    const data = message.subarray(owner.next + 10, owner.next + 10 + length);
    if (type === RecordType.A) answers.push([...data].join('.'));
    else if (type === RecordType.AAAA) answers.push(data.toString('hex'));
    else answers.push(readName(message, owner.next + 10).name);
    offset = owner.next + 10 + length;
  }
  return {
    id: message.readUInt16BE(0),
    rcode: message.readUInt16BE(2) & 0x0f,
    truncated: (message.readUInt16BE(2) & 0x0200) !== 0,
    question,
    answers,
  };
}

/** A UDP socket whose datagrams are read one at a time, in order. */
class Inbox {
  private readonly queue: { message: Buffer; port: number; address: string }[] = [];
  private waiter: (() => void) | undefined;

  constructor(readonly socket: UdpSocket) {
    socket.on('message', (message, peer) => {
      this.queue.push({ message, port: peer.port, address: peer.address });
      this.waiter?.();
    });
  }

  static async open(port = 0): Promise<Inbox> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(port, LOCAL, resolve));
    cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    return new Inbox(socket);
  }

  get waiting(): number {
    return this.queue.length;
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(message: Buffer, port: number, address = LOCAL): void {
    this.socket.send(message, port, address);
  }

  async next(): Promise<{ message: Buffer; port: number; address: string }> {
    const deadline = Date.now() + PATIENCE_MS;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no datagram on port ${this.port} in ${PATIENCE_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.queue.shift()!;
  }
}

async function ask(dns: DnsResponder, message: Buffer): Promise<Reply> {
  const client = await Inbox.open();
  client.send(message, dns.address.port);
  return parseReply((await client.next()).message);
}

async function askTcp(port: number, messages: Buffer[]): Promise<Buffer[]> {
  const socket = connect({ host: LOCAL, port });
  cleanups.push(() => void socket.destroy());
  const reader = new FrameReader();
  const replies: Buffer[] = [];
  socket.write(Buffer.concat(messages.map(frame)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no TCP answer in time')), PATIENCE_MS);
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      replies.push(...reader.push(chunk));
      if (replies.length === messages.length) {
        clearTimeout(timer);
        resolve(replies);
      }
    });
  });
}

/** A canned answer to `request`: its ID and question, one A record, RA set. */
function cannedReply(request: Buffer, address = '192.0.2.7', rcode = 0): Buffer {
  const reply = Buffer.from(request);
  reply.writeUInt16BE(0x8180 | rcode, 2);
  reply.writeUInt16BE(rcode === 0 ? 1 : 0, 6);
  reply.writeUInt16BE(0, 10);
  const questionEnd = readName(reply, 12).next + 4;
  const answer = Buffer.from(
    `c00c000100010000012c0004${Buffer.from(address.split('.').map(Number)).toString('hex')}`,
    'hex',
  );
  return Buffer.concat([reply.subarray(0, questionEnd), rcode === 0 ? answer : Buffer.alloc(0)]);
}

test('answers A for a stack name with every replica, rotated between queries', async () => {
  const dns = await responder();
  const first = await ask(dns, query(1, 'web', RecordType.A));
  const second = await ask(dns, query(2, 'web', RecordType.A));
  assert.equal(first, {
    id: 1,
    rcode: Rcode.NOERROR,
    truncated: false,
    question: 'web',
    answers: ['10.0.0.2', '10.0.0.3', '10.0.0.4'],
  });
  assert.equal(second.answers, ['10.0.0.3', '10.0.0.4', '10.0.0.2']);
});

test('the records are told who asks, over UDP and over TCP', async () => {
  const clients: (string | undefined)[] = [];
  const dns = await responder({
    records: {
      lookup: (name, client) => {
        clients.push(client);
        return STACK[name];
      },
    },
  });
  await ask(dns, query(3, 'db', RecordType.A));
  await askTcp(dns.address.port, [query(4, 'db', RecordType.A)]);
  assert.equal(clients, [LOCAL, LOCAL]);
});

test('matches names in any case and echoes the question as asked', async () => {
  const dns = await responder();
  const reply = await ask(dns, query(3, 'DB', RecordType.A));
  assert.is(reply.question, 'DB');
  assert.equal(reply.answers, ['10.0.0.5']);
});

test('answers AAAA, and NOERROR without records for a name with IPv4 only', async () => {
  const dns = await responder();
  assert.equal((await ask(dns, query(4, 'db', RecordType.AAAA))).answers, [
    'fd000000000000000000000000000005',
  ]);
  const none = await ask(dns, query(5, 'web', RecordType.AAAA));
  assert.equal([none.rcode, none.answers], [Rcode.NOERROR, []]);
});

test('answers other types for stack names with NOERROR and no records', async () => {
  const dns = await responder();
  for (const type of [RecordType.MX, RecordType.TXT, RecordType.SRV]) {
    const reply = await ask(dns, query(6, 'web', type));
    assert.equal([reply.rcode, reply.answers], [Rcode.NOERROR, []], `type ${type}`);
  }
});

test('answers PTR for an address the records know', async () => {
  const dns = await responder();
  const reply = await ask(dns, query(7, '5.0.0.10.in-addr.arpa', RecordType.PTR));
  assert.equal(reply.answers, ['db']);
});

test('finds a stack name behind a search domain', async () => {
  const dns = await responder();
  const reply = await ask(dns, query(8, 'web.Corp.Example', RecordType.A, true));
  assert.is(reply.question, 'web.Corp.Example');
  assert.is(reply.answers.length, 3);
});

test('forwards other names to the upstream and passes its reply back with the client’s ID', async () => {
  const upstream = await Inbox.open();
  const dns = await responder({ upstream: [{ address: LOCAL, port: upstream.port }] });
  const client = await Inbox.open();
  const asked = query(0xbeef, 'example.org', RecordType.A, true);
  client.send(asked, dns.address.port);

  const forwarded = await upstream.next();
  assert.is(forwarded.message.subarray(2).toString('hex'), asked.subarray(2).toString('hex'));
  const canned = cannedReply(forwarded.message);
  upstream.send(canned, forwarded.port);

  const { message } = await client.next();
  assert.is(message.readUInt16BE(0), 0xbeef);
  assert.is(message.subarray(2).toString('hex'), canned.subarray(2).toString('hex'));
});

test('asks the next upstream when one refuses, and answers SERVFAIL when none answers', async () => {
  const refusing = await Inbox.open();
  const answering = await Inbox.open();
  const dns = await responder({
    upstream: [
      { address: LOCAL, port: refusing.port },
      { address: LOCAL, port: answering.port },
    ],
  });
  const client = await Inbox.open();
  client.send(query(9, 'example.org', RecordType.A), dns.address.port);
  const first = await refusing.next();
  refusing.send(cannedReply(first.message, '0.0.0.0', Rcode.REFUSED), first.port);
  const second = await answering.next();
  answering.send(cannedReply(second.message, '192.0.2.9'), second.port);
  assert.equal(parseReply((await client.next()).message).answers, ['192.0.2.9']);
});

test('answers SERVFAIL when the upstream never answers within timeoutMs', async () => {
  const silent = await Inbox.open();
  const dns = await responder({
    upstream: [{ address: LOCAL, port: silent.port }],
    timeoutMs: 150,
  });
  const client = await Inbox.open();
  const started = Date.now();
  client.send(query(10, 'example.org', RecordType.A), dns.address.port);
  await silent.next();
  const reply = parseReply((await client.next()).message);
  assert.equal([reply.id, reply.rcode], [10, Rcode.SERVFAIL]);
  assert.ok(Date.now() - started >= 140, `SERVFAIL after ${Date.now() - started} ms`);
});

test('drops a retransmission while the first copy is forwarded', async () => {
  const upstream = await Inbox.open();
  const dns = await responder({
    upstream: [{ address: LOCAL, port: upstream.port }],
    timeoutMs: 2000,
  });
  const client = await Inbox.open();
  const asked = query(11, 'example.org', RecordType.A);
  client.send(asked, dns.address.port);
  const forwarded = await upstream.next();
  client.send(asked, dns.address.port);
  // Datagrams on loopback arrive in order: once the local answer is back, the copy was seen.
  client.send(query(12, 'db', RecordType.A), dns.address.port);
  assert.is(parseReply((await client.next()).message).id, 12);
  upstream.send(cannedReply(forwarded.message), forwarded.port);
  assert.is(parseReply((await client.next()).message).id, 11);
  client.send(query(13, 'db', RecordType.A), dns.address.port);
  assert.is(parseReply((await client.next()).message).id, 13);
  assert.is(upstream.waiting, 0, 'the upstream was asked once');
});

test('answers SERVFAIL at once beyond the cap on forwarded queries', async () => {
  const silent = await Inbox.open();
  const dns = await responder({
    upstream: [{ address: LOCAL, port: silent.port }],
    timeoutMs: 10_000,
    maxInFlight: 1,
  });
  const client = await Inbox.open();
  client.send(query(14, 'one.example', RecordType.A), dns.address.port);
  await silent.next();
  const started = Date.now();
  client.send(query(15, 'two.example', RecordType.A), dns.address.port);
  const reply = parseReply((await client.next()).message);
  assert.equal([reply.id, reply.rcode], [15, Rcode.SERVFAIL]);
  assert.ok(Date.now() - started < 5000);
});

test('drops malformed datagrams and responses, and keeps answering', async () => {
  const dns = await responder();
  const client = await Inbox.open();
  const response = query(16, 'web', RecordType.A);
  response.writeUInt16BE(0x8100, 2);
  for (const junk of [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(512, 0xc0), response]) {
    client.send(junk, dns.address.port);
  }
  client.send(query(17, 'web', RecordType.A), dns.address.port);
  assert.is(parseReply((await client.next()).message).id, 17);
});

test('truncates a large answer over UDP; TCP carries all of it', async () => {
  const dns = await responder();
  const udp = await ask(dns, query(18, 'many', RecordType.A));
  assert.ok(udp.truncated);
  assert.ok(udp.answers.length > 0 && udp.answers.length < 60);
  const [whole] = await askTcp(dns.address.port, [query(18, 'many', RecordType.A)]);
  const reply = parseReply(whole!);
  assert.equal([reply.truncated, reply.answers.length], [false, 60]);
});

test('answers several queries on one TCP connection and forwards over TCP', async () => {
  const upstream: Server = createServer((socket) => {
    const reader = new FrameReader();
    socket.on('data', (chunk) => {
      for (const message of reader.push(chunk))
        socket.write(frame(cannedReply(message, '192.0.2.44')));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, LOCAL, resolve));
  cleanups.push(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
  const port = (upstream.address() as { port: number }).port;
  const dns = await responder({ upstream: [{ address: LOCAL, port }] });

  const replies = await askTcp(dns.address.port, [
    query(19, 'web', RecordType.A),
    query(20, 'example.org', RecordType.A),
  ]);
  const byId = new Map(replies.map((message) => [message.readUInt16BE(0), parseReply(message)]));
  assert.is(byId.get(19)?.answers.length, 3);
  assert.equal(byId.get(20)?.answers, ['192.0.2.44']);
});

test('closes on abort, freeing the port; a port in use is a ConflictError', async () => {
  const controller = new AbortController();
  const dns = await responder({ signal: controller.signal });
  const { port } = dns.address;
  const refused: unknown = await DnsResponder.start({
    listen: { address: LOCAL, port },
    records,
    upstream: [],
  }).then(
    (second) => second.close(),
    (error: unknown) => error,
  );
  assert.instance(refused, ConflictError);
  controller.abort();
  await dns.close();
  const again = await responder({ listen: { address: LOCAL, port } });
  assert.is(again.address.port, port);
});

test.run();
