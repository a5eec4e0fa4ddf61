// Published ports: reached from the host through 127.0.0.1, many connections at once, an
// ephemeral host port, `port`, a port already taken, the port let go after down, and UDP.
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { whenMet } from '../helpers/requirements.js';
import { containersRequirement, stacksFor } from '../helpers/stack.js';

const stack = stacksFor(test);
let holder: Server | undefined;
test.after.each(() => {
  holder?.close();
  holder = undefined;
});

/** A port the kernel says is free now, on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const httpd = (ports: string) =>
  [
    'services:',
    '  web:',
    '    image: busybox',
    '    command: ["sh", "-c", "mkdir -p /www && echo pong > /www/ping && exec httpd -f -p 8080 -h /www"]',
    `    ports: [${ports}]`,
    '',
  ].join('\n');

async function get(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/ping`, {
    signal: AbortSignal.timeout(10_000),
  });
  return response.text();
}

whenMet(test, containersRequirement, () => {
  test('a published port answers on 127.0.0.1, to many connections at once', async () => {
    const port = await freePort();
    const t = await stack(httpd(`"127.0.0.1:${port}:8080"`));
    const up = await t.cli(['up', '-d']);
    assert.is(up.code, 0, up.stderr);
    assert.is(await get(port), 'pong\n');
    const answers = await Promise.all(Array.from({ length: 50 }, () => get(port)));
    assert.equal(new Set(answers), new Set(['pong\n']), 'all 50 answered');
    assert.is(await t.ok(['port', 'web', '8080']), `127.0.0.1:${port}\n`);
    const ps = JSON.parse((await t.ok(['ps', '--format', 'json'])).trim());
    assert.is(ps.Networks, `${t.project}_default`);
    assert.is(ps.LocalVolumes, '0');
    assert.equal(ps.Publishers, [
      { URL: '127.0.0.1', TargetPort: 8080, PublishedPort: port, Protocol: 'tcp' },
    ]);
    assert.match(await t.ok(['ps']), `127.0.0.1:${port}->8080/tcp`);

    await t.ok(['down', '-t', '0']);
    holder = createServer();
    await new Promise<void>((resolve, reject) => {
      holder!.once('error', reject);
      holder!.listen(port, '127.0.0.1', resolve);
    });
  });

  test('an ephemeral host port, found with port', async () => {
    const t = await stack(httpd('"127.0.0.1::8080"'));
    await t.ok(['up', '-d']);
    const binding = (await t.ok(['port', 'web', '8080'])).trim();
    const [, port] = binding.split(':');
    assert.ok(Number(port) > 0, binding);
    assert.is(await get(Number(port)), 'pong\n');
  });

  test('a host port already taken fails up, naming the service and the port (exit 5)', async () => {
    const port = await freePort();
    holder = createServer();
    await new Promise<void>((resolve) => holder!.listen(port, '127.0.0.1', resolve));
    const t = await stack(httpd(`"127.0.0.1:${port}:8080"`));
    const up = await t.cli(['up', '-d']);
    assert.is(up.code, 5, up.stderr);
    assert.match(
      up.stderr,
      `service web cannot publish 127.0.0.1:${port}/tcp: the port is already in use`,
    );
  });
});

/**
 * A UDP echo server in a busybox container (busybox's nc speaks no UDP): the host's own
 * Node, with the host's /usr mounted read-only for it and its libraries.
 */
const udpEcho = (port: number) =>
  [
    'services:',
    '  echo:',
    '    image: busybox',
    '    command:',
    '      - /usr/bin/node',
    '      - -e',
    '      - |',
    "        const s = require('dgram').createSocket('udp4');",
    "        s.on('message', (m, r) => s.send(Buffer.concat([Buffer.from('echo '), m]), r.port, r.address));",
    "        s.bind(9999, () => console.log('listening'));",
    `    ports: ["127.0.0.1:${port}:9999/udp"]`,
    '    volumes:',
    '      - /usr:/usr:ro',
    '      - /usr/lib:/lib:ro',
    ...(existsSync('/usr/lib64') ? ['      - /usr/lib64:/lib64:ro'] : []),
    '',
  ].join('\n');

/** Sends `message` from a socket of its own and waits for the answer. */
async function ask(port: number, message: string): Promise<{ text: string; port: number }> {
  const socket = createSocket('udp4');
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${message}`)), 10_000);
      socket.once('message', (reply, from) => {
        clearTimeout(timer);
        resolve({ text: reply.toString(), port: from.port });
      });
      socket.send(message, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

whenMet(test, containersRequirement, () => {
  test('a published UDP port: datagrams from many host sockets each get their answer', async () => {
    const port = await freePort();
    const t = await stack(udpEcho(port));
    await t.ok(['up', '-d']);
    for (let i = 0; !(await t.ok(['logs', 'echo'])).includes('listening'); i++) {
      assert.ok(i < 100, 'the echo server started');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.is(await t.ok(['port', '--protocol', 'udp', 'echo', '9999']), `127.0.0.1:${port}\n`);
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ask(port, `datagram ${i}`)),
    );
    assert.equal(
      replies.map((reply) => reply.text),
      Array.from({ length: 20 }, (_, i) => `echo datagram ${i}`),
    );
    assert.ok(
      replies.every((reply) => reply.port === port),
      'each answer comes from the published port',
    );
  });
});

test.run();
