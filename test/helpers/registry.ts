/**
 * A real registry for tests (Debian's docker-registry, distribution 2.8) on 127.0.0.1,
 * optionally behind htpasswd or token auth; a loopback proxy that injects faults; and
 * small random images built straight into an engine's store. Everything started here is
 * stopped by its pid and every temp dir removed, also when a test fails.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { Engine } from '../../src/engine/engine.js';
import { parseReference } from '../../src/engine/image/reference.js';
import { ImageRepository } from '../../src/engine/image/repository.js';
import { MEDIA, type Descriptor, type Platform } from '../../src/engine/image/types.js';
import { digestOf } from '../../src/engine/store/digest.js';

const STARTUP_DEADLINE_MS = 15_000;
const STOP_DEADLINE_MS = 5_000;

export interface Registry {
  /** `127.0.0.1:PORT`, as a reference's domain. */
  domain: string;
  port: number;
  dir: string;
  stop: () => Promise<void>;
}

export type RegistryAuth =
  | { kind: 'htpasswd'; username: string; password: string }
  | { kind: 'token'; username: string; password: string; expiresIn?: number };

export interface TokenRequest {
  scope: string[];
  authorized: boolean;
}

/** Started processes, by pid: killed if the test process ends before a test stopped them. */
const running = new Set<number>();
process.on('exit', () => {
  for (const pid of running) killQuietly(pid, 'SIGKILL');
});

export async function startRegistry(
  auth?: RegistryAuth,
): Promise<Registry & { tokenRequests: TokenRequest[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tscompose-registry-'));
  const tokenRequests: TokenRequest[] = [];
  let tokens: http.Server | undefined;
  try {
    const port = await freePort();
    const config: Record<string, unknown> = {
      version: 0.1,
      log: { level: 'error', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: path.join(dir, 'data') }, delete: { enabled: true } },
      http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') },
    };
    if (auth?.kind === 'htpasswd') {
      const file = path.join(dir, 'htpasswd');
      writeFileSync(file, htpasswd(auth.username, auth.password));
      config.auth = { htpasswd: { realm: 'tscompose-test', path: file } };
    } else if (auth?.kind === 'token') {
      const issuer = await startTokenServer(dir, auth, tokenRequests);
      tokens = issuer.server;
      config.auth = {
        token: {
          realm: issuer.realm,
          service: 'tscompose-test',
          issuer: 'tscompose-test-issuer',
          rootcertbundle: issuer.certificate,
        },
      };
    }
    // YAML is a superset of JSON: no YAML assembled from strings.
    const configFile = path.join(dir, 'config.yml');
    writeFileSync(configFile, JSON.stringify(config));
    const child = spawn('docker-registry', ['serve', configFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const pid = track(child);
    const domain = `127.0.0.1:${port}`;
    await answers(`http://${domain}/v2/`, child);
    return {
      domain,
      port,
      dir,
      tokenRequests,
      stop: async () => {
        await stopProcess(child, pid);
        tokens?.closeAllConnections();
        tokens?.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    tokens?.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function htpasswd(username: string, password: string): string {
  const result = spawnSync('htpasswd', ['-Bbn', username, password], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`htpasswd failed: ${result.stderr}`);
  return result.stdout;
}

function track(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('the registry did not start');
  const pid = child.pid;
  running.add(pid);
  child.once('exit', () => running.delete(pid));
  return pid;
}

/** Polls `GET /v2/` until it answers (200 or 401), the process dies, or the deadline. */
async function answers(url: string, child: ChildProcess): Promise<void> {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200 || status === 401) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  killQuietly(child.pid!, 'SIGKILL');
  throw new Error(`docker-registry did not answer ${url} within ${STARTUP_DEADLINE_MS} ms`);
}

async function stopProcess(child: ChildProcess, pid: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killQuietly(pid, 'SIGTERM');
  const timer = setTimeout(() => killQuietly(pid, 'SIGKILL'), STOP_DEADLINE_MS);
  await exited;
  clearTimeout(timer);
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A token service as the distribution token spec describes: `GET realm?service&scope`
 * with basic credentials answers a JWT signed by a key whose certificate the registry
 * trusts. The `kid` is libtrust's key ID, which is how distribution finds the key.
 */
async function startTokenServer(
  dir: string,
  auth: { username: string; password: string; expiresIn?: number },
  log: TokenRequest[],
): Promise<{ server: http.Server; realm: string; certificate: string }> {
  const keyFile = path.join(dir, 'token.key');
  const certificate = path.join(dir, 'token.crt');
  const openssl = spawnSync('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
    ...['-subj', '/CN=tscompose-test-token', '-keyout', keyFile, '-out', certificate],
  ]);
  if (openssl.status !== 0) throw new Error(`openssl failed: ${String(openssl.stderr)}`);
  const key = createPrivateKey(readFileSync(keyFile));
  const kid = libtrustKeyId(createPublicKey(key).export({ format: 'der', type: 'spki' }));
  const expected = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const scope = url.searchParams.getAll('scope');
    const authorized = req.headers.authorization === expected;
    log.push({ scope, authorized });
    if (req.headers.authorization && !authorized) {
      res.writeHead(401).end('{"details":"wrong credentials"}');
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const access = authorized ? scope.map(grant) : [];
    const claims = {
      iss: 'tscompose-test-issuer',
      sub: authorized ? auth.username : '',
      aud: url.searchParams.get('service'),
      iat: now,
      nbf: now - 10,
      exp: now + (auth.expiresIn ?? 300),
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const token = jwt({ alg: 'RS256', typ: 'JWT', kid }, claims, key);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ token, expires_in: auth.expiresIn ?? 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, realm: `http://127.0.0.1:${port}/token`, certificate };
}

function grant(scope: string) {
  const [type, ...rest] = scope.split(':');
  const actions = rest.pop()!.split(',');
  return { type, name: rest.join(':'), actions };
}

/** libtrust: base32 of the first 240 bits of sha256(SPKI DER), in 12 groups of 4. */
function libtrustKeyId(spki: Buffer): string {
  const bytes = createHash('sha256').update(spki).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  let text = '';
  for (let i = 0; i < bits.length; i += 5) text += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return text.match(/.{4}/g)!.join(':');
}

function jwt(header: object, claims: object, key: KeyObject): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/** What the fault proxy does to one request: answer it, or forward and damage the body. */
export type Fault =
  | { respond: number; headers?: Record<string, string>; body?: string }
  | { dropAfter: number }
  | { corruptAt: number };

export interface ProxiedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  status?: number;
  /** Response body bytes sent to the client. */
  bytes: number;
}

export interface FaultProxy {
  domain: string;
  port: number;
  requests: ProxiedRequest[];
  close: () => Promise<void>;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of a registry. `fault` sees each request (with
 * what came before in `requests`) and may answer it itself or break its response. The
 * Host header goes through unchanged, so the registry's upload URLs name the proxy.
 */
export async function startProxy(
  targetPort: number,
  fault: (request: ProxiedRequest) => Fault | undefined = () => undefined,
): Promise<FaultProxy> {
  const requests: ProxiedRequest[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const record: ProxiedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      bytes: 0,
    };
    requests.push(record);
    const chosen = fault(record);
    if (chosen && 'respond' in chosen) {
      req.resume();
      record.status = chosen.respond;
      res.writeHead(chosen.respond, chosen.headers).end(chosen.body);
      return;
    }
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: targetPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        record.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        let dropped = false;
        answer.on('data', (data: Buffer) => {
          if (dropped) return;
          let chunk = data;
          const offset = record.bytes;
          if (chosen && 'corruptAt' in chosen) {
            const at = chosen.corruptAt - offset;
            if (at >= 0 && at < chunk.length) {
              chunk = Buffer.from(chunk);
              chunk[at] = chunk[at]! ^ 0xff;
            }
          }
          if (chosen && 'dropAfter' in chosen && offset + chunk.length > chosen.dropAfter) {
            dropped = true;
            chunk = chunk.subarray(0, chosen.dropAfter - offset);
            record.bytes += chunk.length;
            answer.destroy();
            res.write(chunk, () => res.destroy());
            return;
          }
          record.bytes += chunk.length;
          res.write(chunk);
        });
        answer.on('end', () => {
          if (!dropped) res.end();
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    domain: `127.0.0.1:${port}`,
    port,
    requests,
    close: async () => {
      server.closeAllConnections();
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface BuiltImage {
  /** The image ID: its config's digest. */
  id: string;
  manifestDigest: string;
  manifestSize: number;
  manifestMediaType: string;
  configDigest: string;
  layerDigests: string[];
  platform: Platform;
}

export interface ImageSpec {
  layers?: number;
  layerSize?: number;
  platform?: Platform;
  format?: 'oci' | 'docker';
}

/**
 * A small image straight into the store: `layers` gzipped tars of random bytes (so no two
 * builds share a digest), a config and a manifest, recorded and tagged `name`.
 */
export async function buildImage(
  engine: Engine,
  name: string,
  spec: ImageSpec = {},
): Promise<BuiltImage> {
  const docker = spec.format === 'docker';
  const platform = spec.platform ?? { os: 'linux', architecture: 'amd64' };
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < (spec.layers ?? 2); i += 1) {
    const tarball = await tarOf(`layer${i}/data.bin`, randomBytes(spec.layerSize ?? 64 * 1024));
    diffIds.push(digestOf(tarball));
    const written = engine.store.put(gzipSync(tarball, { level: 1 }));
    layers.push({ mediaType: docker ? MEDIA.dockerLayerGzip : MEDIA.ociLayerGzip, ...written });
  }
  const config = engine.store.putJson({
    ...platform,
    created: new Date(0).toISOString(),
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
  });
  const manifestMediaType = docker ? MEDIA.dockerManifest : MEDIA.ociManifest;
  const manifest = engine.store.putJson({
    schemaVersion: 2,
    mediaType: manifestMediaType,
    config: { mediaType: docker ? MEDIA.dockerConfig : MEDIA.ociConfig, ...config },
    layers,
  });
  const images = new ImageRepository(engine.db, engine.store);
  const image = images.record(manifest.digest);
  images.tag(parseReference(name), image.id);
  return {
    id: image.id,
    manifestDigest: manifest.digest,
    manifestSize: manifest.size,
    manifestMediaType,
    configDigest: config.digest,
    layerDigests: layers.map((l) => l.digest),
    platform,
  };
}

function tarOf(name: string, data: Buffer): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  pack.entry({ name, size: data.length, mtime: new Date(0) }, data);
  pack.finalize();
  return done;
}
