// Storage contracts (docs/internals.md, store/). Engines: memory, sqlite (default); redis later.
// Interfaces are asynchronous so a networked engine can plug in; the layers above keep their own
// in-memory index as the authority for lookups, so the hot path never waits on a read.
import type { TransportProtocol } from '../transport/types.js';

export interface UserRecord {
  /** User part of the AOR, as written (case-sensitive, RFC 3261 19.1.4). */
  username: string;
  /**
   * Domain, canonical (transport/address.ts canonicalDomain: lower-case, IPv6 bare and canonical,
   * IPv4-mapped as IPv4); it is also the digest realm.
   */
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
  /**
   * put() for a refresh (RFC 3261 10.3 step 7) that changed only what every refresh changes:
   * expiresAt, callId, cseq, lastKeepalive and lastModified. The caller vouches that the other fields
   * equal the ones last put under this id; a binding without a row is put whole. Same durability as
   * put(). Optional: a repository without it gets put().
   */
  refresh?(binding: BindingRecord): Promise<void>;
  remove(id: string): Promise<void>;
  /**
   * Several writes in one transaction: every one of them is durable when it resolves, none when it
   * rejects (a REGISTER is applied whole or not at all, RFC 3261 10.3). Optional: a repository
   * without it gets the writes one by one.
   */
  batch?(writes: readonly BindingWrite[]): Promise<void>;
}

/** One write of BindingRepository.batch: what put(), refresh() and remove() each do. */
export type BindingWrite =
  | { kind: 'put' | 'refresh'; binding: BindingRecord }
  | { kind: 'remove'; id: string };

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
  /**
   * The other headers that describe the body or the message, as received and in order:
   * Content-Encoding, Content-Language, Content-Disposition, other Content-*, MIME-Version, Subject
   * (RFC 3261 20.11, 20.12, 20.13, 20.36). Absent: none.
   */
  headers?: Array<[string, string]>;
  /** The body, byte for byte. */
  body: Buffer;
}

/**
 * What the offline store keeps in memory of one stored message: enough for its order, the mailbox
 * limit, the server-wide size limit and its expiry. The sender, body and headers stay in the repository (get()) until the
 * message is delivered or listed.
 */
export interface OfflineMessageSummary {
  id: number;
  aor: string;
  expiresAt: number;
  /** What its content takes in the store (body, sender, headers), for --offline-max-bytes. */
  bytes: number;
}

export interface OfflineMessageRepository {
  /** Every stored message, by id. */
  all(): Promise<OfflineMessage[]>;
  /**
   * Every stored message without its content, by id, in pages of `pageSize`: a start reads no bodies
   * (200 000 of them held 526 MB). Not a snapshot, like BindingStore.iterate().
   */
  summaries(pageSize?: number): AsyncIterableIterator<OfflineMessageSummary>;
  /** One stored message with its content (sqlite reads it from disk); undefined when none has this id. */
  get(id: number): Promise<OfflineMessage | undefined>;
  /** Insert (key: id); resolves once durable (group commit, like bindings). */
  put(message: OfflineMessage): Promise<void>;
  remove(id: number): Promise<void>;
  /**
   * The highest id ever put, removed messages included (0: none): new ids start above it, so an id
   * is never used twice. Optional: without it ids start above the highest id of all().
   */
  lastId?(): Promise<number>;
}

/** One PUBLISH-ed presence document (RFC 3903): a device's state, kept until it expires or is removed. */
export interface PublicationRecord {
  /** RFC 3903 11.3 entity-tag; a new one after every refresh or modify. */
  etag: string;
  /** The presentity's AOR (`sip:bob@example.com`). */
  aor: string;
  /** Event package (`presence`). */
  event: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  contentType: string;
  /** The document as published, kept whole (RPID and other extensions included). */
  body: string;
  /** Transport source of the PUBLISH (binding-key.ts sourceKey): ties the publication to its device's bindings. */
  source: string;
  /** Epoch milliseconds of the last change. */
  lastModified: number;
}

export interface PublicationRepository {
  all(): Promise<PublicationRecord[]>;
  /** Insert or replace (key: etag); resolves once durable (group commit). */
  put(publication: PublicationRecord): Promise<void>;
  remove(etag: string): Promise<void>;
  /**
   * put(publication) and remove() of each of `removed`, in one transaction: all durable when it
   * resolves, none when it rejects (a PUBLISH that replaces others). Optional: a repository without
   * it gets the writes one by one.
   */
  replace?(publication: PublicationRecord, removed: readonly string[]): Promise<void>;
}

/** A notifier-side subscription dialog (RFC 6665 4.2, RFC 3261 12.1.1 UAS dialog state). */
export interface SubscriptionRecord {
  /** Call-ID, our tag and the subscriber's tag: the dialog id (RFC 3261 12). */
  id: string;
  /** `presence` or `presence.winfo`. */
  event: string;
  /** Event header id parameter (RFC 6665 8.2.1), if any. */
  eventId?: string;
  /** The watched AOR (the SUBSCRIBE's Request-URI). */
  presentity: string;
  /** The subscriber's AOR (From URI without tag or parameters). */
  watcher: string;
  callId: string;
  /** Our tag (To tag of our 200). */
  localTag: string;
  /** The subscriber's tag (From tag). */
  remoteTag: string;
  /** From of the SUBSCRIBE without its tag: the To of our NOTIFYs. */
  remoteParty: string;
  /** To of the SUBSCRIBE without its tag: the From of our NOTIFYs. */
  localParty: string;
  /** Remote target: the subscriber's Contact URI. */
  remoteTarget: string;
  /** Record-Route values of the SUBSCRIBE, in order (the UAS route set, RFC 3261 12.1.1). */
  routeSet: string[];
  /** Our Contact URI for this dialog. */
  localContact: string;
  /** CSeq of our last NOTIFY. */
  localCseq: number;
  /** CSeq of the subscriber's last SUBSCRIBE (RFC 3261 12.2.2: lower ones are out of order). */
  remoteCseq: number;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** Where the SUBSCRIBE came from: NOTIFYs without a route set go there (NAT, connection reuse). */
  received: BindingSource;
  /** Stream connection of the SUBSCRIBE (NOTIFYs reuse it while it is open). */
  connectionId?: string;
  /** The local socket it came on (`udp [::]:5060`). */
  listener: string;
  /** Epoch milliseconds. */
  createdAt: number;
}

export interface SubscriptionRepository {
  all(): Promise<SubscriptionRecord[]>;
  /** Insert or replace (key: id); resolves once durable (group commit). */
  put(subscription: SubscriptionRecord): Promise<void>;
  remove(id: string): Promise<void>;
}

/** An operator's decision about one watcher of one presentity (`ctl presence allow|block`). */
export interface PresenceRuleRecord {
  presentity: string;
  watcher: string;
  decision: 'allow' | 'block';
}

export interface PresenceRuleRepository {
  all(): Promise<PresenceRuleRecord[]>;
  /** Insert or replace (key: presentity + watcher). */
  put(rule: PresenceRuleRecord): Promise<void>;
  /** Deletes the rule of this presentity for this watcher (nothing when there is none). */
  remove(presentity: string, watcher: string): Promise<void>;
}

export type StoreKind = 'sqlite' | 'memory';

export interface Store {
  readonly kind: StoreKind;
  readonly users: UserRepository;
  readonly bindings: BindingRepository;
  readonly offlineMessages: OfflineMessageRepository;
  readonly publications: PublicationRepository;
  readonly subscriptions: SubscriptionRepository;
  readonly presenceRules: PresenceRuleRepository;
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
  batch(writes: readonly BindingWrite[]): Promise<void>;
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
 * `commitWindowMs`: a group commit waits this long for more writes to join it (default 0: it runs
 * once the current turn of the event loop is over). put() still resolves only after the commit.
 */
export interface SqliteTuning {
  synchronous?: 'normal' | 'full';
  lockTimeoutMs?: number;
  commitWindowMs?: number;
}
