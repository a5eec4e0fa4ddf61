// The TCP side of the userland port proxy, against loopback servers the tests start: echo,
// half-close both ways, many connections at once, backpressure, a backend that is down or
// never answers, a port already taken, and close() leaving nothing open.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  describeBinding,
  formatEndpoint,
  PortProxy,
  startProxies,
  type PortBinding,
  type ProxyOptions,
} from '../../src/engine/proxy/index.js';
import { ConflictError, InvalidError } from '../../src/errors.js';
import { commandRuns, whenMet } from '../helpers/requirements.js';

const HOST = '127.0.0.1';

/** Undone after each test, failed or not, last first. */
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

/** Rejects if `promise` has not settled in `ms`: a hang fails the test instead of the run. */
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

interface Backend {
  port: number;
  server: net.Server;
  sockets: Set<net.Socket>;
}

/** A loopback server that hands each connection to `handle`; closed after the test. */
async function backend(handle: (socket: net.Socket) => void): Promise<Backend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    handle(socket);
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, server, sockets };
}

/** Echoes every byte; with allowHalfOpen its end follows the client's. */
const echo = () => backend((socket) => socket.pipe(socket));

async function proxyTo(port: number, options?: ProxyOptions): Promise<PortProxy> {
  const binding: PortBinding = {
    protocol: 'tcp',
    hostIp: HOST,
    hostPort: 0,
    target: { address: HOST, port },
  };
  const proxy = await PortProxy.start(binding, options);
  cleanups.push(() => proxy.close());
  return proxy;
}

function connect(port: number): net.Socket {
  const socket = net.connect({ host: HOST, port, allowHalfOpen: true });
  socket.on('error', () => {});
  cleanups.push(() => socket.destroy());
  return socket;
}

/**
 * Everything the socket reads until the other side's FIN, leaving its own side open (an
 * async iterator would destroy the socket at the end). A reset ends it as well.
 */
function readAll(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => {
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('close', () => resolve(Buffer.concat(chunks)));
  });
}

function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) =>
    socket.closed ? resolve() : socket.once('close', () => resolve()),
  );
}

/** The other side is gone: its FIN arrived (the socket may stay half-open), or a reset. */
function hungUp(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.readableEnded || socket.destroyed) resolve();
    socket.once('end', resolve);
    socket.once('close', resolve);
    socket.resume();
  });
}

/** A port nothing listens on: bound by the kernel's choice, then released. */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, HOST);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function canListen(port: number): Promise<boolean> {
  const server = net.createServer();
  try {
    server.listen(port, HOST);
    await once(server, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

test('echo through the proxy, on the ephemeral port it reports', async () => {
  const { port } = await echo();
  const proxy = await proxyTo(port);
  assert.is(proxy.bound.address, HOST);
  assert.ok(proxy.bound.port > 0 && proxy.bound.port !== port, `bound ${proxy.bound.port}`);

  const client = connect(proxy.bound.port);
  client.end('hello, proxy');
  const reply = await within(2000, 'echo', readAll(client));

  assert.is(reply.toString(), 'hello, proxy');
  await within(2000, 'connection close', closed(client));
  assert.equal(proxy.stats, {
    connections: 1,
    active: 0,
    bytesIn: 12,
    bytesOut: 12,
    udpSessions: 0,
  });
});

test('half-close: the client ends its writing, the server then replies and closes', async () => {
  const { port } = await backend((socket) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => socket.end(`got ${Buffer.concat(chunks).length} bytes`));
  });
  const proxy = await proxyTo(port);

  const client = connect(proxy.bound.port);
  client.write(randomBytes(100_000));
  client.end();
  const reply = await within(2000, 'reply after FIN', readAll(client));

  assert.is(reply.toString(), 'got 100000 bytes');
});

test('half-close the other way: the server ends first, the client still sends', async () => {
  let received: Promise<string> | undefined;
  const { port } = await backend((socket) => {
    socket.end('bye for now');
    received = readAll(socket).then((data) => data.toString());
  });
  const proxy = await proxyTo(port);

  const client = connect(proxy.bound.port);
  const greeting = await within(2000, 'server FIN', readAll(client));
  client.end('late words');

  assert.is(greeting.toString(), 'bye for now');
  assert.ok(received);
  assert.is(await within(2000, 'client data after server FIN', received), 'late words');
});

test('200 concurrent connections, each echoing its own random payload intact', async () => {
  const { port } = await echo();
  const proxy = await proxyTo(port);
  const payloads = Array.from({ length: 200 }, () => randomBytes(randomInt(1, 256 * 1024)));

  const replies = await within(
    20_000,
    '200 echoes',
    Promise.all(
      payloads.map((payload) => {
        const client = connect(proxy.bound.port);
        client.end(payload);
        return readAll(client);
      }),
    ),
  );

  const broken = replies.filter((reply, i) => !reply.equals(payloads[i]!)).length;
  assert.is(broken, 0, `${broken} of 200 replies differ from their payload`);
  const total = payloads.reduce((sum, payload) => sum + payload.length, 0);
  const { connections, bytesIn, bytesOut } = proxy.stats;
  assert.equal(
    { connections, bytesIn, bytesOut },
    { connections: 200, bytesIn: total, bytesOut: total },
  );
});

test('a reset on one connection leaves the others running', async () => {
  const { port } = await echo();
  const proxy = await proxyTo(port);
  const [kept, reset] = [connect(proxy.bound.port), connect(proxy.bound.port)];
  kept.write('before ');
  await within(2000, 'first echo', once(kept, 'data'));

  reset.resetAndDestroy();
  await within(2000, 'reset connection closed', once(reset, 'close'));
  kept.end('after');
  const rest = await within(2000, 'echo after the other reset', readAll(kept));

  assert.is(rest.toString(), 'after');
  assert.is(proxy.stats.connections, 2);
});

test('backpressure: a client that does not read stops the proxy reading the backend', async () => {
  const total = 128 * 1024 * 1024;
  const block = Buffer.alloc(1024 * 1024, 7);
  let written = 0;
  const { port } = await backend((socket) => {
    const pump = () => {
      while (written < total) {
        written += block.length;
        if (!socket.write(block)) return;
      }
      socket.end();
    };
    socket.on('drain', pump);
    pump();
  });
  const proxy = await proxyTo(port);
  const client = connect(proxy.bound.port);
  client.pause();
  await within(2000, 'connected', once(client, 'connect'));

  // Nothing signals "the pipe is full and stays so": give it a moment to fill.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const inFlight = proxy.stats.bytesOut;
  assert.ok(inFlight < 48 * 1024 * 1024, `${inFlight} bytes forwarded to a client that reads none`);
  assert.ok(written < total, 'the backend wrote everything: nothing held it back');

  client.resume();
  const received = await within(20_000, 'the rest', readAll(client));
  assert.is(received.length, total);
});

test('a backend that is down closes the client at once and is reported', async () => {
  const errors: Error[] = [];
  const down = await freePort();
  const proxy = await proxyTo(down, { onError: (error) => errors.push(error) });

  const client = connect(proxy.bound.port);
  const received = await within(2000, 'client closed', readAll(client));

  assert.is(received.length, 0);
  assert.equal(
    errors.map((error) => error.message),
    [`${HOST}:${proxy.bound.port}/tcp → ${HOST}:${down}: the backend refused the connection`],
  );
  assert.is(proxy.stats.active, 0);
});

whenMet(test, commandRuns('python3', ['--version'], 'a listener that never accepts'), () => {
  test('a backend that never accepts is given up on after connectTimeoutMs', async () => {
    // Node accepts every connection, so the silent backend is python's: listen(0) and never
    // accept. Once one connection fills its queue, the kernel drops further SYNs.
    const script =
      'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\n' +
      'print(s.getsockname()[1],flush=True)\ntime.sleep(60)';
    const child: ChildProcess = spawn('python3', ['-c', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(() => child.kill('SIGKILL'));
    const [line] = (await within(5000, 'python listener', once(child.stdout!, 'data'))) as [Buffer];
    const port = Number(line.toString().trim());
    const filler = connect(port);
    await within(2000, 'filler connected', once(filler, 'connect'));

    const errors: Error[] = [];
    const proxy = await proxyTo(port, { connectTimeoutMs: 300, onError: (e) => errors.push(e) });
    const client = connect(proxy.bound.port);
    await within(3000, 'client closed after the connect timeout', hungUp(client));

    assert.equal(
      errors.map((error) => error.message),
      [
        `${HOST}:${proxy.bound.port}/tcp → ${HOST}:${port}: the backend did not accept the connection in 300 ms`,
      ],
    );
  });
});

test('a port already taken: a ConflictError that names it and says what to change', async () => {
  const { port: target } = await echo();
  const { port: taken } = await echo();
  const binding: PortBinding = {
    protocol: 'tcp',
    hostIp: HOST,
    hostPort: taken,
    target: { address: HOST, port: target },
  };

  const error = await PortProxy.start(binding).then(
    () => undefined,
    (e: unknown) => e,
  );

  assert.instance(error, ConflictError);
  const conflict = error as ConflictError;
  assert.is(
    conflict.message,
    `cannot publish ${HOST}:${taken}/tcp → ${HOST}:${target}: ${HOST}:${taken}/tcp is already in use`,
  );
  assert.is(
    conflict.hint,
    `stop what holds ${HOST}:${taken}/tcp, or publish another host port (or none, for a free one)`,
  );
});

test('startProxies is all or nothing, and names the binding that failed', async () => {
  const { port: target } = await echo();
  const { port: taken } = await echo();
  const free = await freePort();
  const bind = (hostPort: number): PortBinding => ({
    protocol: 'tcp',
    hostIp: HOST,
    hostPort,
    target: { address: HOST, port: target },
  });

  const error = await startProxies([bind(free), bind(taken)]).then(
    (proxies) => {
      cleanups.push(() => Promise.all(proxies.map((proxy) => proxy.close())));
    },
    (e: unknown) => e,
  );

  assert.instance(error, ConflictError);
  assert.ok((error as Error).message.startsWith(`cannot publish ${describeBinding(bind(taken))}:`));
  assert.ok(await canListen(free), `port ${free} is still held after the failed start`);
});

test('close() ends every connection and stops listening', async () => {
  const backendSide = await echo();
  const proxy = await proxyTo(backendSide.port);
  const clients = [1, 2, 3].map(() => connect(proxy.bound.port));
  await within(
    2000,
    'three echoes',
    Promise.all(
      clients.map((client) => {
        client.write('ping');
        return once(client, 'data');
      }),
    ),
  );
  assert.is(backendSide.sockets.size, 3);
  const closing = [...clients.map(hungUp), ...[...backendSide.sockets].map(closed)];

  await within(2000, 'close()', proxy.close());

  await within(2000, 'clients hung up on, backend connections closed', Promise.all(closing));
  assert.is(proxy.stats.active, 0);
  assert.ok(await canListen(proxy.bound.port), 'the proxy still listens after close()');
  await proxy.close();
});

test('bindings are checked before anything listens; IPv6 endpoints are bracketed', async () => {
  const binding: PortBinding = {
    protocol: 'tcp',
    hostIp: 'localhost',
    hostPort: 8080,
    target: { address: HOST, port: 80 },
  };
  const error = await PortProxy.start(binding).then(
    () => undefined,
    (e: unknown) => e,
  );

  assert.instance(error, InvalidError);
  assert.is(
    (error as InvalidError).message,
    'cannot publish localhost:8080/tcp → 127.0.0.1:80: the host address "localhost" is not an IP address',
  );
  assert.is(formatEndpoint({ address: '::1', port: 8080 }), '[::1]:8080');
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
