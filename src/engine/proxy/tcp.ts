import net, { type AddressInfo } from 'node:net';
import { RuntimeError } from '../../errors.js';
import { describeBinding, familyOf } from './address.js';
import { listenError } from './listen-error.js';
import type { Endpoint, Forwarder, PortBinding, ProxyStats, ResolvedOptions } from './types.js';

/** Listens on the binding's host side and forwards each connection to the target. */
export async function startTcp(binding: PortBinding, options: ResolvedOptions): Promise<Forwarder> {
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenError(error, binding)));
    // `::` alone must not take the IPv4 port too: Docker publishes 0.0.0.0 and :: side by side.
    const ipv6Only = familyOf(binding.hostIp) === 6;
    server.listen({ host: binding.hostIp, port: binding.hostPort, ipv6Only }, resolve);
  });
  server.removeAllListeners('error');
  return new TcpForwarder(server, binding, options);
}

/**
 * Each client gets its own backend connection, made before a byte of the client's is read
 * (`pauseOnConnect`), so nothing is buffered in the proxy while the backend is dialled.
 * `pipe` carries backpressure both ways and, with `allowHalfOpen` on both sockets, turns
 * the end of one side's stream into a FIN on the other: half-close is carried over.
 */
class TcpForwarder implements Forwarder {
  readonly bound: Endpoint;
  readonly #server: net.Server;
  readonly #binding: PortBinding;
  readonly #options: ResolvedOptions;
  /** The binding as it is now, with the port actually bound, for error messages. */
  readonly #where: string;
  readonly #clients = new Set<net.Socket>();
  readonly #backends = new Set<net.Socket>();
  #connections = 0;
  #closedIn = 0;
  #closedOut = 0;
  #closing: Promise<void> | undefined;

  constructor(server: net.Server, binding: PortBinding, options: ResolvedOptions) {
    const { address, port } = server.address() as AddressInfo;
    this.bound = { address, port };
    this.#server = server;
    this.#binding = binding;
    this.#options = options;
    this.#where = describeBinding({ ...binding, hostPort: port });
    server.on('connection', (client: net.Socket) => this.#accept(client));
    // After the start, a listening socket's errors are accept failures (EMFILE and the
    // like): the server keeps listening, and they are reported, not thrown.
    server.on('error', (error) => options.onError(this.#error(error)));
  }

  stats(): ProxyStats {
    let bytesIn = this.#closedIn;
    let bytesOut = this.#closedOut;
    for (const client of this.#clients) {
      bytesIn += client.bytesRead;
      bytesOut += client.bytesWritten;
    }
    const active = this.#clients.size;
    return { connections: this.#connections, active, bytesIn, bytesOut, udpSessions: 0 };
  }

  close(): Promise<void> {
    this.#closing ??= this.#closeAll();
    return this.#closing;
  }

  #accept(client: net.Socket): void {
    if (this.#closing) {
      client.destroy();
      return;
    }
    this.#connections += 1;
    const { target } = this.#binding;
    const backend = net.connect({
      host: target.address,
      port: target.port,
      localAddress: this.#options.localAddress,
      allowHalfOpen: true,
      noDelay: true,
    });
    this.#track(client, backend);

    const timer = setTimeout(() => {
      const ms = this.#options.connectTimeoutMs;
      backend.destroy(new RuntimeError(`the backend did not accept the connection in ${ms} ms`));
    }, this.#options.connectTimeoutMs);
    backend.once('connect', () => {
      clearTimeout(timer);
      client.pipe(backend);
      backend.pipe(client);
    });
    backend.once('close', () => clearTimeout(timer));
  }

  #track(client: net.Socket, backend: net.Socket): void {
    this.#clients.add(client);
    this.#backends.add(backend);
    // A reset from the client is the client's business; it only ends this connection.
    client.on('error', () => backend.destroy());
    backend.on('error', (error) => {
      client.destroy();
      this.#options.onError(this.#error(error));
    });
    // When one side is gone, the other is cut only if it still had something to say to it.
    // After a clean close in both directions its stream has ended, and the FIN that `pipe`
    // queued on it must be left to flush.
    client.once('close', () => {
      this.#closedIn += client.bytesRead;
      this.#closedOut += client.bytesWritten;
      this.#clients.delete(client);
      if (!backend.readableEnded) backend.destroy();
    });
    backend.once('close', () => {
      this.#backends.delete(backend);
      if (!client.readableEnded) client.destroy();
    });
  }

  #error(error: Error): RuntimeError {
    const code = (error as NodeJS.ErrnoException).code;
    const what =
      code === 'ECONNREFUSED'
        ? 'the backend refused the connection'
        : code === 'ECONNRESET'
          ? 'the backend reset the connection'
          : error.message;
    return new RuntimeError(`${this.#where}: ${what}`, { cause: error });
  }

  async #closeAll(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const sockets = [...this.#clients, ...this.#backends];
    const ended = sockets.map(
      (socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())),
    );
    for (const socket of sockets) socket.destroy();
    await Promise.all([closed, ...ended]);
  }
}
