import dgram from 'node:dgram';
import { RuntimeError } from '../../errors.js';
import { describeBinding, familyOf, formatEndpoint } from './address.js';
import { listenError } from './listen-error.js';
import type {
  Endpoint,
  Forwarder,
  PortBinding,
  ProxyStats,
  ResolvedOptions,
  SessionEndReason,
} from './types.js';

/** Datagrams kept for a session whose backend socket is still connecting; later ones drop. */
const PENDING_LIMIT = 64;

interface Session {
  client: Endpoint;
  socket: dgram.Socket;
  timer: NodeJS.Timeout;
  /** Until the backend socket is connected; then undefined. */
  pending: Buffer[] | undefined;
}

export async function startUdp(binding: PortBinding, options: ResolvedOptions): Promise<Forwarder> {
  const ipv6 = familyOf(binding.hostIp) === 6;
  const socket = dgram.createSocket({ type: ipv6 ? 'udp6' : 'udp4', ipv6Only: ipv6 });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (error) => {
      void closeSocket(socket);
      reject(listenError(error, binding));
    });
    socket.bind({ address: binding.hostIp, port: binding.hostPort, exclusive: true }, resolve);
  });
  socket.removeAllListeners('error');
  return new UdpForwarder(socket, binding, options);
}

/**
 * UDP has no connections, so the proxy makes sessions: each client address and port gets
 * its own socket towards the backend, connected so the kernel passes only the backend's
 * replies, and those replies leave through the bound socket to that client. A session
 * lives while datagrams flow either way and ends after `udpIdleMs` of silence, as
 * docker-proxy's connection tracking does.
 */
class UdpForwarder implements Forwarder {
  readonly bound: Endpoint;
  readonly #socket: dgram.Socket;
  readonly #binding: PortBinding;
  readonly #options: ResolvedOptions;
  /** The binding as it is now, with the port actually bound, for error messages. */
  readonly #where: string;
  /** In order of last activity, least recent first: the first is the one to evict. */
  readonly #sessions = new Map<string, Session>();
  readonly #closingSockets = new Set<Promise<void>>();
  #connections = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  #closing: Promise<void> | undefined;

  constructor(socket: dgram.Socket, binding: PortBinding, options: ResolvedOptions) {
    const { address, port } = socket.address();
    this.bound = { address, port };
    this.#socket = socket;
    this.#binding = binding;
    this.#options = options;
    this.#where = describeBinding({ ...binding, hostPort: port });
    socket.on('message', (message, from) => this.#fromClient(message, from));
    socket.on('error', (error) => options.onError(this.#error(this.#where, error)));
  }

  stats(): ProxyStats {
    const sessions = this.#sessions.size;
    return {
      connections: this.#connections,
      active: sessions,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      udpSessions: sessions,
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#closeAll();
    return this.#closing;
  }

  #fromClient(message: Buffer, from: dgram.RemoteInfo): void {
    if (this.#closing) return;
    this.#bytesIn += message.length;
    const key = `${from.address}|${from.port}`;
    const session = this.#sessions.get(key) ?? this.#open(key, from);
    this.#touch(key, session);
    if (session.pending) {
      if (session.pending.length < PENDING_LIMIT) session.pending.push(message);
      return;
    }
    session.socket.send(message);
  }

  #open(key: string, from: dgram.RemoteInfo): Session {
    const { maxUdpSessions, udpIdleMs, localAddress } = this.#options;
    const oldest = this.#sessions.keys().next();
    if (!oldest.done && this.#sessions.size >= maxUdpSessions) this.#end(oldest.value, 'evicted');

    const { target } = this.#binding;
    const socket = dgram.createSocket(familyOf(target.address) === 6 ? 'udp6' : 'udp4');
    const client = { address: from.address, port: from.port };
    const timer = setTimeout(() => this.#end(key, 'idle'), udpIdleMs).unref();
    const session: Session = { client, socket, timer, pending: [] };
    this.#sessions.set(key, session);
    this.#connections += 1;

    socket.on('message', (reply) => this.#fromBackend(key, session, reply));
    socket.on('error', (error) => {
      const where = `${this.#where} for ${formatEndpoint(client)}`;
      this.#options.onError(this.#error(where, error));
      this.#end(key, 'error');
    });
    socket.once('connect', () => {
      const pending = session.pending ?? [];
      session.pending = undefined;
      for (const message of pending) socket.send(message);
    });
    const connect = () => socket.connect(target.port, target.address);
    if (localAddress === undefined) connect();
    else socket.bind({ address: localAddress, port: 0 }, connect);
    return session;
  }

  #fromBackend(key: string, session: Session, reply: Buffer): void {
    if (this.#sessions.get(key) !== session) return;
    this.#touch(key, session);
    this.#bytesOut += reply.length;
    const { client } = session;
    this.#socket.send(reply, client.port, client.address, (error) => {
      if (error) this.#options.onError(this.#error(this.#where, error));
    });
  }

  /** Marks the session as just used: its idle timer restarts and it moves to the back. */
  #touch(key: string, session: Session): void {
    session.timer.refresh();
    this.#sessions.delete(key);
    this.#sessions.set(key, session);
  }

  #end(key: string, reason: SessionEndReason): void {
    const session = this.#sessions.get(key);
    if (!session) return;
    this.#sessions.delete(key);
    clearTimeout(session.timer);
    const closed: Promise<void> = closeSocket(session.socket).then(() => {
      this.#closingSockets.delete(closed);
    });
    this.#closingSockets.add(closed);
    this.#options.onSessionEnd(session.client, reason);
  }

  #error(where: string, error: Error): RuntimeError {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === 'ECONNREFUSED' ? 'nothing listens on the backend port' : error.message;
    return new RuntimeError(`${where}: ${what}`, { cause: error });
  }

  async #closeAll(): Promise<void> {
    for (const key of [...this.#sessions.keys()]) this.#end(key, 'closed');
    await Promise.all([closeSocket(this.#socket), ...this.#closingSockets]);
  }
}

/** Resolves once the socket has closed; a socket that already closed resolves at once. */
function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
