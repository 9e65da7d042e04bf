// The JSON bodies of the control API besides bindings (binding-view.ts): what `ctl ... --json`
// prints, so these shapes are a contract too.
import type { PresenceCounts } from '../presence/views.js';

export type { PresenceView, WatcherView } from '../presence/views.js';

/** GET /stats */
export interface StatsView {
  bindings: number;
  aors: number;
  registrationsAccepted: number;
  registrationsRejected: number;
  authFailures: number;
  requestsReceived: number;
  responsesSent: number;
  transactions: { server: number; client: number };
  /** Bytes, from process.memoryUsage(). */
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number };
  uptimeSeconds: number;
  /** ISO 8601 UTC. */
  startedAt: string;
  listeners: string[];
  /** Messages waiting in the offline store. */
  offlineMessages: number;
  messagesRelayed: number;
  messagesStored: number;
  messagesDelivered: number;
  /** Stored messages dropped because the recipient's device refused them (e.g. 415, 603). */
  messagesRefused: number;
  messagesRateLimited: number;
  /**
   * How long datagrams waited in the fullest UDP receive queue before the server read them, in ms:
   * the last sample (ten a second) and the worst of the last minute. More than a few ms: the server
   * is falling behind its load.
   */
  udpQueueDelay: { lastMs: number; maxLastMinuteMs: number };
  /**
   * Datagrams the kernel dropped at the server's UDP sockets since they opened, because their
   * receive queue was full (Linux /proc/net/udp); null where that cannot be read.
   */
  udpReceiveDrops: number | null;
  /** Presence (absent without a presence agent): live publications, subscriptions, NOTIFYs. */
  presence?: PresenceCounts;
}

/** GET /msg: one element (a stored MESSAGE). */
export interface OfflineMessageView {
  id: number;
  aor: string;
  from: string;
  /** ISO 8601 UTC. */
  receivedAt: string;
  expiresAt: string;
  contentType: string | null;
  /** The other headers kept with the body and delivered with it (Content-Encoding, Subject, ...), as [name, value]. */
  headers: Array<[string, string]>;
  bytes: number;
  /** The body as text (UTF-8). */
  body: string;
}

/** GET /users: one element. */
export interface UserView {
  /** USER@DOMAIN */
  user: string;
  username: string;
  domain: string;
  /** ISO 8601 UTC. */
  createdAt: string;
}
