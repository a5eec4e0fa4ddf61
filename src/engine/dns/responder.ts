import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { ConflictError, PermissionError, RuntimeError, TsComposeError } from '../../errors.js';
import { answerLocally, RoundRobin, type DnsRecords, type LocalContext } from './answer.js';
import { Forwarder, type Transport } from './forward.js';
import { encodeResponse, parseQuery, Rcode, udpLimit, type DnsQuery } from './packet.js';
import type { Upstream } from './resolv-conf.js';
import { serveTcpClient } from './tcp.js';
import { asciiLower } from './wire.js';

export interface DnsResponderOptions {
  /** The bridge's gateway, port 53; tests listen on 127.0.0.1 and port 0. */
  listen: { address: string; port: number };
  records: DnsRecords;
  /** The host's resolvers, asked in order (see `parseResolvConf` and `upstreamsOf`). */
  upstream: Upstream[];
  /** A name ending in one of these is looked up without it too (`web.corp.example` → `web`). */
  searchDomains?: string[];
  /** The TTL of answers for the stack's names; 5 seconds by default (see DEFAULT_TTL_SECONDS). */
  ttlSeconds?: number;
  /** How long each upstream gets before the next is asked, or the client gets SERVFAIL. */
  timeoutMs?: number;
  /** Forwarded queries waiting at once; beyond that a query gets SERVFAIL at once. */
  maxInFlight?: number;
  signal?: AbortSignal;
  /** Where the responder says what it dropped or could not do; nothing is printed. */
  log?: (message: string) => void;
}

/**
 * Docker's embedded DNS gives 600 seconds. Here containers are recreated with new
 * addresses all day long, and a client that caches (a JVM, nginx's `resolver`) would keep
 * the old address for ten minutes: a few seconds keep answers fresh and still spare a
 * burst of lookups.
 */
export const DEFAULT_TTL_SECONDS = 5;
/** Docker waits 4 s per upstream; glibc gives up on a server after 5 s, so stay below. */
export const DEFAULT_TIMEOUT_MS = 2000;
export const DEFAULT_MAX_IN_FLIGHT = 256;
const MAX_TCP_CLIENTS = 64;
const TCP_IDLE_MS = 10_000;
const TCP_MAX_PIPELINED = 16;
/** With port 0 the TCP listener takes the UDP socket's port, which TCP may already use. */
const PORT_ZERO_ATTEMPTS = 5;

/**
 * A small DNS server for one stack network: it answers A and AAAA for the stack's names
 * itself (rotating replicas), and forwards every other query to the host's resolvers,
 * over the transport the client used. Malformed queries are dropped.
 */
export class DnsResponder {
  readonly address: { address: string; port: number };
  private readonly context: LocalContext;
  private readonly forwarder: Forwarder;
  private readonly connections = new Set<Socket>();
  /** UDP queries being forwarded, by client and ID: a client's retransmission is dropped. */
  private readonly forwarding = new Set<string>();
  private readonly log: (message: string) => void;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
    private readonly options: DnsResponderOptions,
  ) {
    const port = udp.address().port;
    this.address = { address: options.listen.address, port };
    this.log = options.log ?? (() => {});
    this.context = {
      records: options.records,
      searchDomains: (options.searchDomains ?? []).map((domain) =>
        asciiLower(domain.replace(/^\.+|\.+$/g, '')),
      ),
      ttl: options.ttlSeconds ?? DEFAULT_TTL_SECONDS,
      rotation: new RoundRobin(),
    };
    this.forwarder = new Forwarder({
      upstream: options.upstream,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxInFlight: options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
    });

    udp.on('message', (message, peer) => this.onDatagram(message, peer.address, peer.port));
    udp.on('error', (error) => this.log(`dns: the UDP socket failed: ${error.message}`));
    tcp.on('connection', (socket) => this.onConnection(socket));
    tcp.on('error', (error) => this.log(`dns: the TCP listener failed: ${error.message}`));
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Listens on UDP and TCP at `options.listen`; refused with a typed error if it cannot. */
  static async start(options: DnsResponderOptions): Promise<DnsResponder> {
    options.signal?.throwIfAborted();
    const { address, port } = options.listen;
    const attempts = port === 0 ? PORT_ZERO_ATTEMPTS : 1;
    for (let attempt = 1; ; attempt += 1) {
      const udp = await bindUdp(address, port);
      const udpPort = udp.address().port;
      let tcp: Server;
      try {
        tcp = await listenTcp(address, udpPort);
      } catch (error) {
        udp.close();
        if (attempt < attempts && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
        throw listenError(error, address, udpPort);
      }
      const responder = new DnsResponder(udp, tcp, options);
      if (options.signal?.aborted) {
        await responder.close();
        options.signal.throwIfAborted();
      }
      return responder;
    }
  }

  /** Stops listening, closes client connections and fails what is still forwarded. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private readonly onAbort = () => void this.close();

  private async shutdown(): Promise<void> {
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.forwarder.close();
    for (const socket of this.connections) socket.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.tcp.close(() => resolve())),
    ]);
  }

  private onDatagram(message: Buffer, address: string, port: number): void {
    const key = `${address}#${port}#${message.length >= 2 ? message.readUInt16BE(0) : ''}`;
    if (this.forwarding.has(key)) return;
    void this.answer(message, 'udp', address, () => this.forwarding.add(key))
      .then((reply) => {
        if (!reply || this.closing) return;
        this.udp.send(reply, port, address, (error) => {
          if (error) this.log(`dns: cannot answer ${address}#${port}: ${error.message}`);
        });
      })
      .finally(() => this.forwarding.delete(key));
  }

  private onConnection(socket: Socket): void {
    if (this.closing || this.connections.size >= MAX_TCP_CLIENTS) {
      socket.destroy();
      return;
    }
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    const client = socket.remoteAddress?.replace(/^::ffff:/, '');
    serveTcpClient(socket, (message) => this.answer(message, 'tcp', client), {
      idleMs: TCP_IDLE_MS,
      maxPipelined: TCP_MAX_PIPELINED,
    });
  }

  /** The reply to one message, or undefined to drop it. Never rejects. */
  private async answer(
    message: Buffer,
    transport: Transport,
    client: string | undefined,
    onForward?: () => void,
  ): Promise<Buffer | undefined> {
    let query: DnsQuery;
    try {
      query = parseQuery(message);
    } catch (error) {
      this.log(`dns: dropped a ${transport} message: ${(error as Error).message}`);
      return undefined;
    }
    const maxSize = transport === 'udp' ? udpLimit(query) : undefined;

    try {
      const local = answerLocally(query, { ...this.context, client });
      if (local) return encodeResponse(query, local, { maxSize });
    } catch (error) {
      // A bad address from the records is the caller's bug; the client still gets an answer.
      this.log(`dns: cannot answer ${query.question.name}: ${(error as Error).message}`);
      return encodeResponse(query, { rcode: Rcode.SERVFAIL }, { maxSize });
    }

    onForward?.();
    const result = await this.forwarder.forward(message, transport);
    if (result.kind === 'reply') return result.message;
    const why = result.kind === 'busy' ? 'too many queries are being forwarded' : result.reason;
    this.log(`dns: SERVFAIL for ${query.question.name}: ${why}`);
    return encodeResponse(query, { rcode: Rcode.SERVFAIL }, { maxSize });
  }
}

function bindUdp(address: string, port: number): Promise<UdpSocket> {
  const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      socket.close();
      reject(listenError(error, address, port));
    };
    socket.once('error', fail);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

function listenTcp(address: string, port: number): Promise<Server> {
  const server = createServer({ pauseOnConnect: false });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function listenError(error: unknown, address: string, port: number): Error {
  if (error instanceof TsComposeError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const what = `cannot serve DNS on ${address}:${port}`;
  if (code === 'EACCES') {
    return new PermissionError(`${what}: permission denied`, {
      hint: 'ports below 1024 need root or CAP_NET_BIND_SERVICE',
      cause: error,
    });
  }
  if (code === 'EADDRINUSE') {
    return new ConflictError(`${what}: the port is in use`, {
      hint: 'another DNS server (dnsmasq, systemd-resolved) may listen on that address',
      cause: error,
    });
  }
  if (code === 'EADDRNOTAVAIL') {
    return new RuntimeError(`${what}: no interface has that address`, {
      hint: 'the network’s bridge must be up with its gateway address first',
      cause: error,
    });
  }
  return new RuntimeError(`${what}: ${(error as Error).message}`, { cause: error });
}
