/**
 * The userland port proxy: what publishes a container's port on the host. It runs in the
 * keeper, so published ports outlive the CLI. Like Docker's docker-proxy, the backend sees
 * connections from the proxy (from `localAddress`, the bridge's gateway), not from the
 * client, and the proxy works without iptables rules.
 */
import { checkBinding } from './address.js';
import { startTcp } from './tcp.js';
import {
  resolveOptions,
  type Endpoint,
  type Forwarder,
  type PortBinding,
  type ProxyOptions,
  type ProxyStats,
} from './types.js';
import { startUdp } from './udp.js';

export { describeBinding, formatEndpoint } from './address.js';
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_UDP_SESSIONS,
  DEFAULT_UDP_IDLE_MS,
  type Endpoint,
  type PortBinding,
  type ProxyOptions,
  type ProxyStats,
  type SessionEndReason,
} from './types.js';

export class PortProxy {
  readonly binding: PortBinding;
  /** The address and port actually listened on: the kernel's choice when `hostPort` is 0. */
  readonly bound: Endpoint;
  readonly #forwarder: Forwarder;

  private constructor(binding: PortBinding, forwarder: Forwarder) {
    this.binding = binding;
    this.bound = Object.freeze({ ...forwarder.bound });
    this.#forwarder = forwarder;
  }

  /**
   * Listens on the binding's host side. Rejects with a ConflictError when the port is
   * taken, a PermissionError for a privileged port, an InvalidError for an address the
   * host does not have; every message starts with the binding.
   */
  static async start(binding: PortBinding, options?: ProxyOptions): Promise<PortProxy> {
    const resolved = resolveOptions(options);
    checkBinding(binding, resolved);
    const forwarder =
      binding.protocol === 'tcp'
        ? await startTcp(binding, resolved)
        : await startUdp(binding, resolved);
    return new PortProxy(binding, forwarder);
  }

  /** A snapshot, taken when read. */
  get stats(): ProxyStats {
    return this.#forwarder.stats();
  }

  /** Stops listening and ends every connection and session; resolves when all are closed. */
  close(): Promise<void> {
    return this.#forwarder.close();
  }
}

/**
 * Starts a proxy for each binding, all or nothing: if one fails, those that started are
 * closed and the first failure (in the order given, naming its binding) is thrown.
 */
export async function startProxies(
  bindings: readonly PortBinding[],
  options?: ProxyOptions,
): Promise<PortProxy[]> {
  const results = await Promise.allSettled(bindings.map((b) => PortProxy.start(b, options)));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed === undefined) return started;

  await Promise.all(started.map((proxy) => proxy.close()));
  throw failed.reason;
}
