export interface Endpoint {
  address: string;
  port: number;
}

/** One published port: what the host listens on, and the container address it forwards to. */
export interface PortBinding {
  protocol: 'tcp' | 'udp';
  /** An IP literal: `0.0.0.0`, `127.0.0.1`, `::`, `::1`… `::` listens on IPv6 only. */
  hostIp: string;
  /** 0 asks the kernel for a free port; `PortProxy.bound` then says which. */
  hostPort: number;
  /** An IP literal and port, normally the container's address on its bridge. */
  target: Endpoint;
}

/** Why a UDP session ended. */
export type SessionEndReason = 'idle' | 'evicted' | 'error' | 'closed';

export interface ProxyOptions {
  /** A UDP session with no datagram either way for this long is dropped. */
  udpIdleMs?: number;
  /** At most this many UDP sessions at once; a new client evicts the least recently active. */
  maxUdpSessions?: number;
  /** A backend that has not accepted a TCP connection by then is given up on. */
  connectTimeoutMs?: number;
  /**
   * Failures of single connections or sessions (the backend refused, a reset) and of the
   * listening socket after it started. None of them stops the proxy. Without it they are
   * dropped: a proxy must not bring the keeper down over one client.
   */
  onError?: (error: Error) => void;
  /** Called when a UDP session ends, with the client it served. */
  onSessionEnd?: (client: Endpoint, reason: SessionEndReason) => void;
  /** Source address for connections to the backend, e.g. the bridge's gateway. */
  localAddress?: string;
}

export interface ProxyStats {
  /** TCP connections accepted, or UDP sessions opened, since the start. */
  connections: number;
  /** TCP connections or UDP sessions open now. */
  active: number;
  /** Bytes received from clients. */
  bytesIn: number;
  /** Bytes sent to clients. */
  bytesOut: number;
  /** UDP sessions open now (0 for TCP). */
  udpSessions: number;
}

export interface ResolvedOptions {
  udpIdleMs: number;
  maxUdpSessions: number;
  connectTimeoutMs: number;
  onError: (error: Error) => void;
  onSessionEnd: (client: Endpoint, reason: SessionEndReason) => void;
  localAddress: string | undefined;
}

/** docker-proxy's UDP connection-tracking timeout (DefaultConnTrackTimeout, 90 s). */
export const DEFAULT_UDP_IDLE_MS = 90_000;
/** docker-proxy has no cap; this one keeps a flood of source ports from exhausting fds. */
export const DEFAULT_MAX_UDP_SESSIONS = 1024;
/** On a local bridge a live backend answers in microseconds; 10 s covers a loaded host. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export function resolveOptions(options: ProxyOptions = {}): ResolvedOptions {
  return {
    udpIdleMs: options.udpIdleMs ?? DEFAULT_UDP_IDLE_MS,
    maxUdpSessions: options.maxUdpSessions ?? DEFAULT_MAX_UDP_SESSIONS,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    onError: options.onError ?? (() => {}),
    onSessionEnd: options.onSessionEnd ?? (() => {}),
    localAddress: options.localAddress,
  };
}

/** What a TCP or UDP forwarder gives the `PortProxy` that wraps it. */
export interface Forwarder {
  readonly bound: Endpoint;
  stats(): ProxyStats;
  close(): Promise<void>;
}
