// Settings of `simplesip server`, with defaults that work on a fresh machine without a config file.
import type { DigestAlgorithm } from '../auth/types.js';
import type { StoreKind } from '../store/types.js';
import type { DnsLookup } from '../transport/locate.js';

export interface ServerConfig {
  /** Listen specs, e.g. `udp:*:5060`, `tcp:[::1]:5070`, `tls:*:5061`. */
  listen: string[];
  /** SIP domains this server is responsible for (besides its own addresses and `localhost`). */
  domains: string[];
  /** Print every SIP message in and out (text view, like sngrep). */
  trace: boolean;
  /** Answer to the packet's source (like Kamailio's force_rport); false = strict RFC 3261 18.2.2. */
  symmetricResponses: boolean;
  tlsCert?: string;
  tlsKey?: string;
  /**
   * A PEM file of certificates to trust, besides Node's root store, when we open TLS connections
   * (relaying to another domain's server): a private CA or a self-signed peer.
   */
  tlsCa?: string;
  /** Name resolution for the proxy's next hops (RFC 3263); node:dns when absent. For tests and embedding. */
  dns?: DnsLookup;
  /** pino log level: fatal, error, warn, info, debug, trace, silent. */
  logLevel: string;
  /** Value of the Server header. */
  serverName: string;
  /** Largest SIP message accepted, in bytes (larger: 513 Message Too Large, or the stream closes). */
  maxMessageSize: number;
  /** Open TCP/TLS/WS connections at once; more are refused with a warning. */
  maxConnections: number;
  /** Accepted TCP/TLS/WS connections one remote address may hold at once (never above maxConnections). */
  maxConnectionsPerAddress: number;
  /** Seconds without traffic after which a stream connection is closed. */
  idleTimeoutSeconds: number;
  /** SO_RCVBUF/SO_SNDBUF of UDP sockets in bytes (the kernel may cap it: see net.core.rmem_max). */
  udpBufferSize: number;
  /** Digest authentication of REGISTER (401) and of our users' requests (407). Off only for tests and labs. */
  auth: boolean;
  /** Wrong digest answers one address may give within a minute before it is refused; 0 = no limit. */
  maxAuthFailures: number;
  /** How long such an address is refused (403), in seconds. */
  authBanSeconds: number;
  /**
   * Digest challenges offered, one header each, in this order. MD5 comes first: SIPp and libpurple
   * answer only the first challenge and fail on SHA-256; RFC 8760 clients still find SHA-256 after it.
   */
  digestAlgorithms: DigestAlgorithm[];
  /** Data directory (sqlite database, nonce secret); created when missing. */
  dataDir: string;
  /** Where users and bindings are kept: `sqlite` (in dataDir, survives restarts) or `memory`. */
  store: StoreKind;
  /**
   * sqlite: milliseconds a write waits for others to share its commit (0: the commit closes the
   * event-loop turn). A REGISTER is answered only after its commit, so this is added to its latency.
   */
  commitWindowMs: number;
  /** Registrar: shorter (non-zero) intervals get 423 Interval Too Brief (RFC 3261 10.3 step 7). */
  minExpires: number;
  /** Registrar: longer intervals are shortened to this (RFC 3261 10.2.1). */
  maxExpires: number;
  /** Registrar: interval of a contact without expires parameter or Expires header. */
  defaultExpires: number;
  /** Registrar: bindings per address-of-record (beyond: 403). */
  maxContacts: number;
  /** Presence: live publications per address-of-record (beyond: 403). */
  maxPublications: number;
  /** Presence: subscriptions per presentity, presence and presence.winfo together (beyond: 403). */
  maxWatchers: number;
  /** Presence: of those, subscriptions from watchers the presentity has not allowed (beyond: 403). */
  maxPendingWatchers: number;
  /** Seconds between OPTIONS probes of quiet UDP contacts and plain TCP/TLS bindings; 0 = never probe. */
  probeIntervalSeconds: number;
  /** RFC 3261 T1 in ms (500); tests shorten it so that probe timeouts (64*T1) come quickly. */
  t1Ms?: number;
  /** RFC 3261 16.8 Timer C of proxied INVITEs in ms (181000: "MUST be larger than 3 minutes"); tests shorten it. */
  timerCMs?: number;
  /** MESSAGE bodies larger than this many bytes get 413. */
  maxMessageBody: number;
  /** MESSAGEs per second one sender may send (sustained); 0 = no limit. Beyond: 503 with Retry-After. */
  messageRate: number;
  /** MESSAGEs one sender may send at once after a quiet period. */
  messageBurst: number;
  /** Seconds a stored (offline) message waits for its recipient before it is dropped. */
  offlineExpirySeconds: number;
  /** Stored messages per recipient; beyond it the sender gets 480 (mailbox full). */
  offlineMaxPerUser: number;
  /**
   * Bytes all stored messages may take together (bodies, senders, headers); beyond it the sender
   * gets 480 (store full), so strangers cannot fill the disk the registrar writes to. 0: no limit.
   */
  offlineMaxBytes: number;
  /** Seconds between delivery attempts of stored messages to a registered user who did not take them. */
  offlineRetrySeconds: number;
  /**
   * Datagrams waiting longer than this (ms) in a UDP receive queue are logged as a warning: the
   * server is falling behind its load (ctl stats and /metrics show the delay always); 0 = never warn.
   */
  queueDelayWarnMs: number;
}

export const DEFAULT_LISTEN: readonly string[] = ['udp:*:5060', 'tcp:*:5060'];

export function defaultServerConfig(): ServerConfig {
  return {
    listen: [...DEFAULT_LISTEN],
    domains: [],
    trace: false,
    symmetricResponses: true,
    logLevel: 'info',
    serverName: 'simplesip',
    maxMessageSize: 65536,
    maxConnections: 10000,
    maxConnectionsPerAddress: 1000,
    idleTimeoutSeconds: 300,
    udpBufferSize: 4 * 1024 * 1024,
    auth: true,
    maxAuthFailures: 20,
    authBanSeconds: 300,
    digestAlgorithms: ['MD5', 'SHA-256'],
    dataDir: './data',
    store: 'sqlite',
    // At a few thousand REGISTERs per second one commit per turn is nearly one per REGISTER; 5 ms
    // makes it about 20 (SQLite CPU per refreshed binding: 5.6 us alone, 3.5 at 4, 2.4 at 20).
    commitWindowMs: 5,
    minExpires: 60,
    maxExpires: 3600,
    defaultExpires: 3600,
    maxContacts: 10,
    // A person's buddy list is tens to hundreds; a stranger costs 2-3 KB of heap and a stored row each.
    // One per device (an initial PUBLISH replaces its source's earlier ones); 100 devices is plenty.
    maxPublications: 100,
    maxWatchers: 1000,
    maxPendingWatchers: 100,
    probeIntervalSeconds: 60,
    maxMessageBody: 32768,
    messageRate: 20,
    messageBurst: 100,
    offlineExpirySeconds: 7 * 24 * 3600,
    offlineMaxPerUser: 1000,
    offlineMaxBytes: 1024 * 1024 * 1024,
    offlineRetrySeconds: 60,
    // A queue waits a few ms in normal service (a GC pause or a large commit included); at 100 ms it
    // is a fifth of T1, the 500 ms after which UDP clients retransmit.
    queueDelayWarnMs: 100,
  };
}
