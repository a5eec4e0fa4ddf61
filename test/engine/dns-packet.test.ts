// The DNS responder's packet code, against messages built by hand from RFC 1035 (and
// RFC 6891 for OPT): the bytes a query is parsed from and the bytes an answer encodes to,
// compression pointers and their loops, and malformed messages refused with InvalidError.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  encodeResponse,
  parseQuery,
  parseResolvConf,
  Rcode,
  RecordType,
  udpLimit,
  upstreamsOf,
  type DnsQuery,
} from '../../src/engine/dns/index.js';
import { formatIPv6, reverseAddress, RoundRobin } from '../../src/engine/dns/answer.js';
import { readName, Writer } from '../../src/engine/dns/wire.js';
import { InvalidError } from '../../src/errors.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const ascii = (text: string) => Buffer.from(text, 'latin1').toString('hex');

// ID 0x1234, RD, one question: web IN A.
const WEB_A = hex(`1234 0100 0001 0000 0000 0000  03${ascii('web')}00 0001 0001`);
// The same with an OPT record: payload 4096, extended rcode 0, version 0, DO set.
const WEB_A_EDNS = hex(
  `1234 0100 0001 0000 0000 0001  03${ascii('web')}00 0001 0001  00 0029 1000 00008000 0000`,
);

test('parses a query built by hand', () => {
  assert.equal(parseQuery(WEB_A), {
    id: 0x1234,
    opcode: 0,
    recursionDesired: true,
    checkingDisabled: false,
    question: { name: 'web', type: RecordType.A, class: 1 },
  });
});

test('reads the OPT record of an EDNS query', () => {
  const query = parseQuery(WEB_A_EDNS);
  assert.equal(query.edns, { udpPayloadSize: 4096, version: 0, dnssecOk: true });
  assert.is(udpLimit(query), 1232);
  assert.is(udpLimit(parseQuery(WEB_A)), 512);
});

test('keeps the case of the question and escapes odd bytes in labels', () => {
  const query = parseQuery(
    hex(`0001 0000 0001 0000 0000 0000  03${ascii('WeB')}03${ascii('a.b')}01ff00 0001 0001`),
  );
  assert.is(query.question.name, 'WeB.a\\.b.\\255');
  const reply = encodeResponse(query, { rcode: Rcode.NOERROR });
  assert.is(reply.subarray(12).toString('hex'), `03${ascii('WeB')}03${ascii('a.b')}01ff0000010001`);
});

test('encodes two A records, the second name a pointer to the question', () => {
  const reply = encodeResponse(parseQuery(WEB_A), {
    rcode: Rcode.NOERROR,
    authoritative: true,
    answers: [
      { type: 'A', name: 'web', ttl: 5, address: '10.0.0.2' },
      { type: 'A', name: 'web', ttl: 5, address: '10.0.0.3' },
    ],
  });
  // QR AA RD RA = 0x8580; ancount 2; each answer: c00c, type A, class IN, TTL 5, 4 bytes.
  const expected = hex(`
    1234 8580 0001 0002 0000 0000  03${ascii('web')}00 0001 0001
    c00c 0001 0001 00000005 0004 0a000002
    c00c 0001 0001 00000005 0004 0a000003`);
  assert.is(reply.toString('hex'), expected.toString('hex'));
});

test('encodes AAAA, including an IPv4-mapped address', () => {
  const query = parseQuery(hex(`0002 0100 0001 0000 0000 0000  02${ascii('db')}00 001c 0001`));
  const reply = encodeResponse(query, {
    rcode: Rcode.NOERROR,
    answers: [
      { type: 'AAAA', name: 'db', ttl: 0, address: 'fd00::4' },
      { type: 'AAAA', name: 'db', ttl: 0, address: '::ffff:10.0.0.1' },
    ],
  });
  const rdata = (i: number) => reply.subarray(reply.length - 16 - i * 28, reply.length - i * 28);
  assert.is(rdata(1).toString('hex'), 'fd000000000000000000000000000004');
  assert.is(rdata(0).toString('hex'), '00000000000000000000ffff0a000001');
});

test('answers an EDNS query with an OPT record, BADVERS in its extended code', () => {
  const query = parseQuery(WEB_A_EDNS);
  const opt = (reply: Buffer) => reply.subarray(reply.length - 11).toString('hex');
  const ok = encodeResponse(query, { rcode: Rcode.NOERROR });
  assert.is(ok.readUInt16BE(10), 1);
  assert.is(opt(ok), '00002904d000000000' + '0000');
  const badvers = encodeResponse(
    { ...query, edns: { ...query.edns!, version: 1 } },
    {
      rcode: Rcode.BADVERS,
    },
  );
  assert.is(badvers.readUInt16BE(2) & 0x0f, 0);
  assert.is(opt(badvers), '00002904d001000000' + '0000');
});

test('leaves out the answers that do not fit and sets TC', () => {
  const answers = Array.from({ length: 40 }, (_, i) => ({
    type: 'A' as const,
    name: 'web',
    ttl: 5,
    address: `10.0.1.${i + 1}`,
  }));
  const query = parseQuery(WEB_A);
  const reply = encodeResponse(query, { rcode: Rcode.NOERROR, answers }, { maxSize: 512 });
  assert.ok(reply.length <= 512);
  assert.ok(reply.readUInt16BE(2) & 0x0200, 'TC is set');
  // 12 header + 9 question + 16 per answer: 30 fit in 512 bytes.
  assert.is(reply.readUInt16BE(6), 30);
  const whole = encodeResponse(query, { rcode: Rcode.NOERROR, answers });
  assert.is(whole.readUInt16BE(6), 40);
  assert.is(whole.readUInt16BE(2) & 0x0200, 0);
});

test('compresses a name against the longest suffix written before', () => {
  const out = new Writer();
  out.bytes(Buffer.alloc(12));
  out.name('www.Example.com');
  out.name('mail.example.COM');
  out.name('example.com');
  const bytes = out.finish();
  assert.is(
    bytes.subarray(12).toString('hex'),
    `03${ascii('www')}07${ascii('Example')}03${ascii('com')}00` + `04${ascii('mail')}c010` + 'c010',
  );
  assert.equal(readName(bytes, 29), { name: 'mail.Example.com', next: 36 });
  assert.equal(readName(bytes, 36), { name: 'Example.com', next: 38 });
});

test('parses a query whose answer section holds compressed names', () => {
  const query = hex(`
    0003 0000 0001 0001 0000 0001  03${ascii('web')}00 0001 0001
    c00c 0001 0001 00000000 0004 7f000001
    00 0029 0200 00000000 0000`);
  assert.equal(parseQuery(query).edns, { udpPayloadSize: 512, version: 0, dnssecOk: false });
});

test('refuses compression loops and pointers that do not point back', () => {
  const header = '0004 0000 0001 0000 0000 0000';
  const refusals: [string, Buffer][] = [
    ['a pointer to itself', hex(`${header} c00c 0001 0001`)],
    ['a pointer forward', hex(`${header} c00e c00c 0001 0001`)],
    ['a label, then a pointer back to it', hex(`${header} 01${ascii('a')}c00c 0001 0001`)],
  ];
  for (const [what, message] of refusals) {
    assert.throws(() => parseQuery(message), /compression pointer/, what);
  }
  // Two names pointing at each other, beyond the question.
  const pair = Buffer.concat([WEB_A, hex('c017 c015')]);
  assert.throws(() => readName(pair, 21), /does not point back/);
  assert.throws(() => readName(pair, 23), /does not point back/);
});

test('refuses malformed queries with InvalidError', () => {
  const cases: [string, Buffer, RegExp][] = [
    ['nothing', Buffer.alloc(0), /shorter than the 12-byte header/],
    ['a short header', WEB_A.subarray(0, 11), /shorter than/],
    ['a response', hex(`1234 8100 0001 0000 0000 0000 00 0001 0001`), /is a response/],
    ['no question', hex(`1234 0100 0000 0000 0000 0000`), /0 questions/],
    [
      'two questions',
      hex(`1234 0100 0002 0000 0000 0000 00 0001 0001 00 0001 0001`),
      /2 questions/,
    ],
    ['a label past the end', hex(`1234 0100 0001 0000 0000 0000 05${ascii('web')}`), /cut short/],
    ['no type', WEB_A.subarray(0, WEB_A.length - 3), /inside a field/],
    ['a 0x40 label', hex(`1234 0100 0001 0000 0000 0000 41 00 0001 0001`), /label type 0x40/],
    ['an unended name', hex(`1234 0100 0001 0000 0000 0000 03${ascii('web')}`), /inside a field/],
    ['rdata past the end', Buffer.concat([WEB_A_EDNS.subarray(0, -2), hex('0009')]), /past/],
    ['two OPT records', Buffer.concat([WEB_A_EDNS, hex('00 0029 1000 00000000 0000')]), /two OPT/],
  ];
  cases[10]![1].writeUInt16BE(2, 10);
  for (const [what, message, pattern] of cases) {
    assert.throws(
      () => parseQuery(message),
      (error: unknown) => {
        assert.instance(error, InvalidError, what);
        assert.match((error as Error).message, pattern, what);
        return true;
      },
    );
  }
  const long = Buffer.concat([
    WEB_A.subarray(0, 12),
    ...Array.from({ length: 5 }, () => hex(`3f${'61'.repeat(63)}`)),
    hex('00 0001 0001'),
  ]);
  assert.throws(() => parseQuery(long), /over 255 octets/);
});

test('never throws anything but InvalidError on random bytes', () => {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let i = 0; i < 5000; i += 1) {
    const message = Buffer.from(Array.from({ length: random() % 80 }, () => random() & 0xff));
    if (message.length >= 6) message.writeUInt16BE(1, 4);
    if (message.length >= 3) message[2]! &= 0x7f;
    try {
      parseQuery(message);
    } catch (error) {
      if (!(error instanceof InvalidError)) throw error;
    }
  }
});

test('parses resolv.conf as glibc does', () => {
  const conf = parseResolvConf(
    [
      '# generated',
      'nameserver 127.0.0.53',
      'nameserver 192.0.2.1 ; the office',
      'nameserver fe80::1%eth0',
      'nameserver not-an-ip',
      'domain old.example',
      'search corp.example  lab.example',
      'options edns0 trust-ad',
      'options ndots:2',
    ].join('\n'),
  );
  assert.equal(conf, {
    nameservers: ['127.0.0.53', '192.0.2.1', 'fe80::1%eth0'],
    search: ['corp.example', 'lab.example'],
    options: ['edns0', 'trust-ad', 'ndots:2'],
  });
  assert.equal(
    upstreamsOf(conf, { skipLoopback: true }).map((u) => u.address),
    ['192.0.2.1', 'fe80::1%eth0'],
  );
  assert.equal(upstreamsOf(conf)[0], { address: '127.0.0.53', port: 53 });
  assert.equal(upstreamsOf(parseResolvConf('')), [{ address: '127.0.0.1', port: 53 }]);
});

test('reads addresses from reverse names and prints IPv6 as RFC 5952 does', () => {
  assert.is(reverseAddress('2.0.0.10.in-addr.arpa'), '10.0.0.2');
  assert.is(reverseAddress('2.0.0.300.in-addr.arpa'), undefined);
  assert.is(reverseAddress('0.0.10.in-addr.arpa'), undefined);
  const nibbles = '4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f';
  assert.is(reverseAddress(`${nibbles}.ip6.arpa`), 'fd00::4');
  assert.is(formatIPv6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]), '2001:db8::1:0:0:1');
  assert.is(formatIPv6([0, 0, 0, 0, 0, 0, 0, 0]), '::');
  assert.is(formatIPv6([1, 0, 2, 0, 3, 0, 4, 0]), '1:0:2:0:3:0:4:0');
});

test('rotates addresses one further on each call', () => {
  const rotation = new RoundRobin();
  const seen = [1, 2, 3, 4].map(() => rotation.rotate('web/A', ['a', 'b', 'c']).join(''));
  assert.equal(seen, ['abc', 'bca', 'cab', 'abc']);
  assert.equal(rotation.rotate('db/A', ['x']), ['x']);
});

test('refuses to encode an answer with a bad address', () => {
  const query: DnsQuery = parseQuery(WEB_A);
  assert.throws(
    () =>
      encodeResponse(query, {
        rcode: 0,
        answers: [{ type: 'A', name: 'web', ttl: 1, address: 'fd00::1' }],
      }),
    /not an IPv4 address/,
  );
});

test.run();
