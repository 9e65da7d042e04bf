// Storage contracts (docs/internals.md, store/). Engines: memory, sqlite (default); redis later.
// Interfaces are asynchronous so a networked engine can plug in; the layers above keep their own
// in-memory index as the authority for lookups, so the hot path never waits on a read.
import type { TransportProtocol } from '../transport/types.js';

export interface UserRecord {
  /** User part of the AOR, as written (case-sensitive, RFC 3261 19.1.4). */
  username: string;
  /** Domain, lower-case; it is also the digest realm. */
  domain: string;
  /** HA1 = MD5(username ":" realm ":" password), lower-case hex (RFC 2617 3.2.2.2). */
  ha1Md5: string;
  /** HA1 = SHA-256(username ":" realm ":" password), lower-case hex (RFC 7616 3.4.2, RFC 8760). */
  ha1Sha256: string;
  /** Epoch milliseconds. */
  createdAt: number;
}

export interface BindingSource {
  protocol: TransportProtocol;
  /** Normalized address (never ::ffff:), IPv6 bare. */
  address: string;
  port: number;
}

/** One contact of one AOR: every field `ctl ul show` prints. */
export interface BindingRecord {
  /** Unique key: AOR + instance + reg-id when the contact has +sip.instance, else AOR + contact URI. */
  id: string;
  /** `sip:alice@example.com` (scheme, user as written, lower-case host, no port/params). */
  aor: string;
  /** The Contact URI as registered (without name-addr parameters). */
  contact: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  q?: number;
  callId: string;
  cseq: number;
  userAgent?: string;
  /** Where the REGISTER really came from: requests for this binding go there. */
  received: BindingSource;
  /** The local socket that received it, as really bound: `udp:[::]:5060`, `tcp:127.0.0.1:5060`. */
  socket: string;
  /** Stream connection the REGISTER came on (tcp, tls, ws, wss); requests reuse it. */
  connectionId?: string;
  /** Path header values (RFC 3327), in order. */
  path: string[];
  /** Contact `methods` parameter, if given. */
  methods?: string[];
  /** +sip.instance (RFC 5626 4.1, RFC 5627), without the angle brackets and quotes. */
  instance?: string;
  regId?: number;
  /** Free-form markers, e.g. `nat` (Contact differs from the source), `outbound` (RFC 5626 flow). */
  flags: string[];
  /** Epoch milliseconds of the last keepalive (CRLF, NUL, STUN) or REGISTER from this source. */
  lastKeepalive?: number;
  /** Epoch milliseconds of the last change. */
  lastModified: number;
}

export interface UserRepository {
  all(): Promise<UserRecord[]>;
  /** Insert or replace (key: username + domain); resolves once durable. */
  put(user: UserRecord): Promise<void>;
  /** Resolves true when a user was removed. */
  remove(username: string, domain: string): Promise<boolean>;
}

export interface BindingRepository {
  all(): Promise<BindingRecord[]>;
  /**
   * Insert or replace (key: id); resolves once durable. Changes made in one turn of the event loop
   * are committed together in one transaction (group commit).
   */
  put(binding: BindingRecord): Promise<void>;
  remove(id: string): Promise<void>;
}

/** A MESSAGE kept for a user who could not take it (RFC 3428 has the proxy answer 202 for it). */
export interface OfflineMessage {
  /** Unique, increasing in arrival order (delivery goes oldest first). */
  id: number;
  /** Recipient AOR, as the location service keys it (`sip:bob@example.com`). */
  aor: string;
  /** The sender's From header value without its tag: the delivered MESSAGE comes from the original sender. */
  from: string;
  /** Epoch milliseconds of arrival: the delivered MESSAGE carries it as its Date header. */
  receivedAt: number;
  /** Epoch milliseconds after which the message is dropped undelivered. */
  expiresAt: number;
  /** Content-Type header value as received (absent: no body type given). */
  contentType?: string;
  /** The body, byte for byte. */
  body: Buffer;
}

export interface OfflineMessageRepository {
  /** Every stored message, by id. */
  all(): Promise<OfflineMessage[]>;
  /** Insert (key: id); resolves once durable (group commit, like bindings). */
  put(message: OfflineMessage): Promise<void>;
  remove(id: number): Promise<void>;
}

export type StoreKind = 'sqlite' | 'memory';

export interface Store {
  readonly kind: StoreKind;
  readonly users: UserRepository;
  readonly bindings: BindingRepository;
  readonly offlineMessages: OfflineMessageRepository;
  /** Flushes pending commits and closes. */
  close(): Promise<void>;
}

export interface StoreOptions extends SqliteTuning {
  kind: StoreKind;
  /** Data directory for sqlite (created if missing); the database is DIR/simplesip.db. */
  dataDir?: string;
}

// ---- Additions (store/ owner): everything below is optional for code written against the contracts above.

/** Counters for metrics and tests. */
export interface StoreStats {
  /** Transactions committed (sqlite); with group commit this is far fewer than `writes`. */
  transactions: number;
  /** put/remove operations applied. */
  writes: number;
  /** Operations queued and not yet committed. */
  pending: number;
}

/** The binding repository as both engines implement it. */
export interface BindingStore extends BindingRepository {
  /**
   * Every binding, in pages of `pageSize` (ordered by id), without one big array: for a million rows.
   * Not a snapshot: changes committed while iterating may or may not be seen.
   */
  iterate(pageSize?: number): AsyncIterableIterator<BindingRecord>;
  /** Removes every binding with `expiresAt <= now`; resolves with how many, once durable. */
  removeExpired(now: number): Promise<number>;
  count(): Promise<number>;
}

/** What `openStore()` resolves with: a `Store` plus engine helpers. */
export interface StoreHandle extends Store {
  readonly bindings: BindingStore;
  /** The database file (sqlite), undefined for memory. */
  readonly path: string | undefined;
  stats(): StoreStats;
}

/**
 * Optional sqlite tuning (extends StoreOptions; the defaults are what the server wants).
 * `synchronous`: `normal` (default) survives a crash or SIGKILL of the process: a commit is in the WAL
 * file (the OS page cache) before put() resolves; `full` also survives power loss / kernel panic at the
 * price of one fsync per group commit.
 * `lockTimeoutMs`: how long to wait for another process holding the database (default 250).
 */
export interface SqliteTuning {
  synchronous?: 'normal' | 'full';
  lockTimeoutMs?: number;
}
