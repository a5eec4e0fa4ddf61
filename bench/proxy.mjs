// Port proxy benchmark: throughput and round-trip latency to a loopback Node TCP server,
// direct and through the userland proxy, and the ratio of each pair. With `wrk` on the
// PATH, also an HTTP server behind it. The backend and the proxy run in processes of their
// own, as the proxy does in the keeper, so the client's event loop is not the proxy's.
// Run after `npm run build`:
//   node bench/proxy.mjs [--seconds 3]
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HOST = '127.0.0.1';
const root = fileURLToPath(new URL('..', import.meta.url));
const proxyModule = path.join(root, 'dist', 'engine', 'proxy', 'index.js');

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    role: { type: 'string' },
    target: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const children = [];

// The child roles: each listens, prints its port on stdout, and runs until killed.
if (values.role === 'sink') await serve(sinkServer());
else if (values.role === 'http') await serve(httpServer());
else if (values.role === 'proxy') await runProxy(Number(values.target));
else await main().finally(stopChildren);

/** A connection whose first byte is 0 is a stream, read and dropped; any other is echoed. */
function sinkServer() {
  return net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => {});
    socket.once('data', (first) => {
      if (first[0] === 0) {
        socket.resume();
        return;
      }
      socket.write(first);
      socket.pipe(socket);
    });
  });
}

function httpServer() {
  return http.createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 });
    response.end('ok\n');
  });
}

async function serve(server) {
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  console.log(server.address().port);
}

async function runProxy(targetPort) {
  const { PortProxy } = await import(proxyModule);
  const proxy = await PortProxy.start({
    protocol: 'tcp',
    hostIp: HOST,
    hostPort: 0,
    target: { address: HOST, port: targetPort },
  });
  console.log(proxy.bound.port);
}

/** Every child is ours, stopped by its pid. */
function stopChildren() {
  for (const child of children) if (child.exitCode === null) child.kill();
}

async function main() {
  if (!existsSync(proxyModule)) {
    console.error(`${path.relative(root, proxyModule)} is missing: run \`npm run build\` first`);
    process.exitCode = 1;
    return;
  }
  process.on('exit', stopChildren);
  process.on('SIGINT', () => process.exit(130));
  const start = async (...args) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const [line] = await once(createInterface({ input: child.stdout }), 'line');
    const port = Number(line);
    if (!Number.isInteger(port)) throw new Error(`${args.join(' ')} did not start`);
    return port;
  };

  const sink = await start('--role', 'sink');
  const proxied = await start('--role', 'proxy', '--target', String(sink));
  console.log(`loopback TCP, ${seconds} s per figure; backend and proxy in their own processes`);

  const direct = { mibs: await throughput(sink), latency: await pingPong(sink) };
  const through = { mibs: await throughput(proxied), latency: await pingPong(proxied) };
  report('throughput, MiB/s', direct.mibs, through.mibs, 'higher is better');
  report('round trip p50, µs', direct.latency.p50, through.latency.p50, 'lower is better');
  report('round trip p99, µs', direct.latency.p99, through.latency.p99, 'lower is better');
  report('round trips/s', direct.latency.rate, through.latency.rate, 'higher is better');

  if (!hasWrk()) {
    console.log('wrk is not on the PATH: the HTTP figures are skipped');
    return;
  }
  const web = await start('--role', 'http');
  const webProxied = await start('--role', 'proxy', '--target', String(web));
  const wrkDirect = wrk(web);
  const wrkProxied = wrk(webProxied);
  report('wrk requests/s', wrkDirect.rate, wrkProxied.rate, 'higher is better');
  report('wrk mean latency, ms', wrkDirect.latencyMs, wrkProxied.latencyMs, 'lower is better');
}

function report(label, direct, proxied, better) {
  const ratio = proxied / direct;
  const fmt = (n) => (n >= 100 ? n.toFixed(0) : n.toFixed(2));
  console.log(
    `${label.padEnd(24)} direct ${fmt(direct).padStart(9)}  proxy ${fmt(proxied).padStart(9)}` +
      `  proxy/direct ${ratio.toFixed(2)} (${better})`,
  );
}

/** Streams 1 MiB blocks for `seconds`; the figure is what the client got written. */
async function throughput(port) {
  const socket = net.connect(port, HOST);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const block = Buffer.alloc(1024 * 1024);
  const began = performance.now();
  const until = began + seconds * 1000;
  while (performance.now() < until) {
    if (!socket.write(block)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  const elapsed = (performance.now() - began) / 1000;
  const bytes = socket.bytesWritten - socket.writableLength;
  socket.destroy();
  return bytes / elapsed / 1024 / 1024;
}

/** One 64-byte ping at a time over one connection, for `seconds`. */
async function pingPong(port) {
  const socket = net.connect({ port, host: HOST, noDelay: true });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const ping = Buffer.alloc(64, 'x');
  ping[63] = 10;
  const times = [];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const sent = performance.now();
    let got = 0;
    await new Promise((resolve) => {
      const onData = (chunk) => {
        got += chunk.length;
        if (got < ping.length) return;
        socket.off('data', onData);
        resolve();
      };
      socket.on('data', onData);
      socket.write(ping);
    });
    times.push((performance.now() - sent) * 1000);
  }
  socket.destroy();
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { p50: at(0.5), p99: at(0.99), rate: times.length / seconds };
}

function hasWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version prints its usage and exits 1; only a missing binary is ENOENT.
    return error.code !== 'ENOENT';
  }
}

function wrk(port) {
  const out = execFileSync(
    'wrk',
    ['-t2', '-c50', `-d${seconds}s`, '--latency', `http://${HOST}:${port}/`],
    { encoding: 'utf8', timeout: (seconds + 10) * 1000 },
  );
  const rate = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const [, value, unit] = /Latency\s+([\d.]+)(us|ms|s)/.exec(out) ?? [];
  const latencyMs = Number(value) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? NaN);
  return { rate, latencyMs };
}
