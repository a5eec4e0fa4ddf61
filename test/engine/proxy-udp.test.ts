// The UDP side of the userland port proxy, against a loopback echo server the tests start:
// one session per client with its own replies, expiry after silence, eviction at the cap,
// a port already taken, and close() releasing the port and every session.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  PortProxy,
  type Endpoint,
  type PortBinding,
  type ProxyOptions,
  type SessionEndReason,
} from '../../src/engine/proxy/index.js';
import { ConflictError } from '../../src/errors.js';

const HOST = '127.0.0.1';

let cleanups: Array<() => unknown>;
test.before.each(() => {
  cleanups = [];
});
test.after.each(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Sockets and listeners this process holds; compared with what it held before the suite. */
const socketHandles = () =>
  process
    .getActiveResourcesInfo()
    .filter((name) => ['TCPServerWrap', 'TCPSocketWrap', 'UDPWrap'].includes(name)).length;
let handlesBefore: number;
test.before(() => {
  handlesBefore = socketHandles();
});

async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

async function udpSocket(port = 0): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  cleanups.push(() => closeSocket(socket));
  socket.bind(port, HOST);
  await once(socket, 'listening');
  return socket;
}

/** Answers each datagram with `echo:<it>` and records the source ports it came from. */
async function echoServer(): Promise<{ port: number; sources: Set<number> }> {
  const socket = await udpSocket();
  const sources = new Set<number>();
  socket.on('message', (message, from) => {
    sources.add(from.port);
    socket.send(`echo:${message}`, from.port, from.address);
  });
  return { port: socket.address().port, sources };
}

async function proxyTo(port: number, options?: ProxyOptions): Promise<PortProxy> {
  const binding: PortBinding = {
    protocol: 'udp',
    hostIp: HOST,
    hostPort: 0,
    target: { address: HOST, port },
  };
  const proxy = await PortProxy.start(binding, options);
  cleanups.push(() => proxy.close());
  return proxy;
}

/** Sends `text` to the proxy and waits for the next datagram this socket gets. */
async function ask(socket: dgram.Socket, proxy: PortProxy, text: string): Promise<string> {
  const reply = once(socket, 'message') as Promise<[Buffer, dgram.RemoteInfo]>;
  socket.send(text, proxy.bound.port, HOST);
  const [message, from] = await within(2000, `reply to ${text}`, reply);
  assert.is(from.port, proxy.bound.port, 'the reply did not come from the published port');
  return message.toString();
}

/** Session ends as they happen, and a way to wait for the next one. */
function sessionEnds() {
  const ends: Array<{ client: Endpoint; reason: SessionEndReason }> = [];
  let notify: (() => void) | undefined;
  const onSessionEnd = (client: Endpoint, reason: SessionEndReason) => {
    ends.push({ client, reason });
    notify?.();
  };
  const next = (count: number) =>
    within(
      3000,
      `${count} session ends`,
      new Promise<void>((resolve) => {
        notify = () => ends.length >= count && resolve();
        notify();
      }),
    );
  return { ends, onSessionEnd, next };
}

test('two clients, each its own session and its own replies, from the bound port', async () => {
  const server = await echoServer();
  const proxy = await proxyTo(server.port);
  assert.ok(proxy.bound.port > 0, 'no ephemeral port reported');
  const [a, b] = [await udpSocket(), await udpSocket()];

  assert.is(await ask(a, proxy, 'a1'), 'echo:a1');
  assert.is(await ask(b, proxy, 'b1'), 'echo:b1');
  assert.is(await ask(a, proxy, 'a2'), 'echo:a2');
  assert.is(await ask(b, proxy, 'b2'), 'echo:b2');

  assert.is(server.sources.size, 2, 'the backend should see one source port per client');
  assert.equal(proxy.stats, {
    connections: 2,
    active: 2,
    bytesIn: 8,
    bytesOut: 28,
    udpSessions: 2,
  });
});

test('a session expires after udpIdleMs of silence; the next datagram opens a new one', async () => {
  const server = await echoServer();
  const { ends, onSessionEnd, next } = sessionEnds();
  const proxy = await proxyTo(server.port, { udpIdleMs: 100, onSessionEnd });
  const client = await udpSocket();

  assert.is(await ask(client, proxy, 'hello'), 'echo:hello');
  await next(1);

  assert.equal(ends, [{ client: { address: HOST, port: client.address().port }, reason: 'idle' }]);
  assert.is(proxy.stats.udpSessions, 0);
  assert.is(await ask(client, proxy, 'again'), 'echo:again');
  assert.is(proxy.stats.connections, 2);
  assert.is(server.sources.size, 2, 'the new session should have a new backend socket');
});

test('at maxUdpSessions a new client evicts the least recently active one', async () => {
  const server = await echoServer();
  const { ends, onSessionEnd } = sessionEnds();
  const proxy = await proxyTo(server.port, { maxUdpSessions: 2, onSessionEnd });
  const [a, b, c] = [await udpSocket(), await udpSocket(), await udpSocket()];

  await ask(a, proxy, 'a');
  await ask(b, proxy, 'b');
  await ask(a, proxy, 'a again'); // now b is the least recently active
  assert.is(await ask(c, proxy, 'c'), 'echo:c');

  assert.equal(ends, [{ client: { address: HOST, port: b.address().port }, reason: 'evicted' }]);
  assert.is(proxy.stats.udpSessions, 2);
});

test('a UDP port already taken: a ConflictError naming it', async () => {
  const server = await echoServer();
  const taken = (await udpSocket()).address().port;
  const binding: PortBinding = {
    protocol: 'udp',
    hostIp: HOST,
    hostPort: taken,
    target: { address: HOST, port: server.port },
  };

  const error = await PortProxy.start(binding).then(
    () => undefined,
    (e: unknown) => e,
  );

  assert.instance(error, ConflictError);
  assert.is(
    (error as ConflictError).message,
    `cannot publish ${HOST}:${taken}/udp → ${HOST}:${server.port}: ${HOST}:${taken}/udp is already in use`,
  );
});

test('close() ends every session and releases the port', async () => {
  const server = await echoServer();
  const { ends, onSessionEnd } = sessionEnds();
  const proxy = await proxyTo(server.port, { onSessionEnd });
  const clients = [await udpSocket(), await udpSocket()];
  for (const client of clients) await ask(client, proxy, 'ping');

  await within(2000, 'close()', proxy.close());

  assert.equal(
    ends.map((end) => end.reason),
    ['closed', 'closed'],
  );
  assert.is(proxy.stats.udpSessions, 0);
  const again = await udpSocket(proxy.bound.port); // throws EADDRINUSE if still bound
  assert.is(again.address().port, proxy.bound.port);
});

test('every socket of the suite is closed', async () => {
  // Handles go away a tick or two after their close event; no event says "all gone".
  const deadline = Date.now() + 2000;
  while (socketHandles() > handlesBefore && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.is(socketHandles(), handlesBefore, process.getActiveResourcesInfo().join(', '));
});

test.run();
