// dig(1) as an independent client of the DNS responder on 127.0.0.1: if BIND's parser
// reads our answers (UDP, TCP, EDNS on and off), other resolvers' stubs will too.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DnsResponder } from '../../src/engine/dns/index.js';
import { commandRuns, whenMet } from '../helpers/requirements.js';

const run = promisify(execFile);
const STACK: Record<string, { ipv4: string[]; ipv6: string[] }> = {
  web: { ipv4: ['10.0.0.2', '10.0.0.3'], ipv6: ['fd00::2'] },
  many: { ipv4: Array.from({ length: 60 }, (_, i) => `10.0.1.${i + 1}`), ipv6: [] },
};

let dns: DnsResponder | undefined;
test.before.each(async () => {
  dns = await DnsResponder.start({
    listen: { address: '127.0.0.1', port: 0 },
    records: { lookup: (name) => STACK[name] },
    upstream: [],
    timeoutMs: 200,
  });
});
test.after.each(async () => {
  await dns?.close();
  dns = undefined;
});

/** dig runs as a child, never synchronously: the responder answers from this process. */
async function dig(...args: string[]): Promise<string> {
  const port = String(dns!.address.port);
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', port, '+time=2', '+tries=1', ...args]);
  return stdout.trim();
}

const lineCount = (text: string) => text.split('\n').length;

whenMet(
  test,
  commandRuns('dig', ['-v'], 'dig reads the responder’s answers as an interop check'),
  () => {
    test('dig reads A and AAAA answers', async () => {
      assert.equal((await dig('web', 'A', '+short')).split('\n').sort(), ['10.0.0.2', '10.0.0.3']);
      assert.is(await dig('WEB', 'AAAA', '+short'), 'fd00::2');
      assert.equal((await dig('web', 'A', '+short', '+noedns')).split('\n').sort(), [
        '10.0.0.2',
        '10.0.0.3',
      ]);
    });

    test('dig sees NOERROR without answers, and SERVFAIL with no upstream', async () => {
      assert.match(await dig('web', 'MX'), /status: NOERROR.*ANSWER: 0/s);
      assert.match(await dig('example.org', 'A'), /status: SERVFAIL/);
    });

    test('dig retries a truncated answer over TCP and gets every replica', async () => {
      // 60 answers fit in dig's 1232-byte EDNS buffer, not in 512 bytes.
      assert.is(lineCount(await dig('many', 'A', '+short')), 60);
      assert.match(await dig('many', 'A', '+bufsize=512', '+ignore'), /flags: qr aa tc rd ra;/);
      assert.is(lineCount(await dig('many', 'A', '+bufsize=512', '+short')), 60);
      assert.is(lineCount(await dig('many', 'A', '+noedns', '+short')), 60);
      assert.is(lineCount(await dig('many', 'A', '+tcp', '+short')), 60);
    });
  },
);

test.run();
