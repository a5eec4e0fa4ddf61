/**
 * The DNS responder on each stack network's gateway: the stack's names answered here,
 * everything else forwarded to the host's resolvers.
 */
export {
  DnsResponder,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_TTL_SECONDS,
  type DnsResponderOptions,
} from './responder.js';
export type { DnsRecords } from './answer.js';
export {
  parseResolvConf,
  upstreamsOf,
  hostUpstreams,
  isLoopback,
  type ResolvConf,
  type Upstream,
} from './resolv-conf.js';
export {
  encodeResponse,
  parseQuery,
  udpLimit,
  Rcode,
  RecordClass,
  RecordType,
  type DnsAnswer,
  type DnsEdns,
  type DnsQuery,
  type DnsQuestion,
  type DnsReply,
} from './packet.js';
