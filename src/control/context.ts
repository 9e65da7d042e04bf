// What the control API can see and do in a running server (docs/internals.md, control/).
import type { LocationView } from '../registrar/types.js';
import type { ServerStats } from '../server/stats.js';
import type { PresenceCounts, PresenceView, WatcherView } from '../presence/views.js';
import type { OfflineMessage } from '../store/types.js';

export interface UserSummary {
  username: string;
  domain: string;
  createdAt: number;
}

/** User administration, backed by the store; passwords are turned into HA1 hashes at once. */
export interface UserAdmin {
  add(username: string, domain: string, password: string): Promise<'added' | 'exists'>;
  remove(username: string, domain: string): Promise<boolean>;
  setPassword(username: string, domain: string, password: string): Promise<boolean>;
  list(domain?: string): UserSummary[];
}

/** The offline message store, as `ctl msg` sees it. */
export interface OfflineMessageAdmin {
  /**
   * Waiting messages, of one AOR or all, oldest first: those waiting when called, each read with its
   * body as the caller comes to it (one delivered or removed meanwhile is left out).
   */
  messages(aor?: string): AsyncIterableIterator<OfflineMessage>;
  /** Resolves false when no message has this id. */
  remove(id: number): Promise<boolean>;
  /** Drops every message waiting for one AOR (its user was removed); resolves with how many. */
  removeAll(aor: string): Promise<number>;
  readonly count: number;
}

/** The presence agent, as `ctl presence` sees it. */
export interface PresenceAdmin {
  /** Composed state, publications and devices of one AOR. */
  show(aor: string): PresenceView;
  /** Subscriptions to one AOR (presence and presence.winfo). */
  watchers(aor: string): WatcherView[];
  /** Lets a watcher see the AOR, or blocks it politely (RFC 3856 6.6.2); durable once resolved. */
  setRule(aor: string, watcher: string, decision: 'allow' | 'block'): Promise<void>;
  counts(): PresenceCounts;
  /** Ends and deletes the presence state of a removed user's AOR (subscriptions both ways, publications, rules). */
  forgetUser(aor: string): Promise<unknown>;
}

export interface ControlContext {
  location: LocationView;
  users: UserAdmin;
  stats: ServerStats;
  /** Open server transactions and client transactions. */
  transactions(): { server: number; client: number };
  /** Listener descriptions, e.g. `udp [::]:5060 (IPv4 and IPv6)`. */
  listeners(): string[];
  /** Absent in contexts without a proxy (tests of the control API alone). */
  messages?: OfflineMessageAdmin;
  /** How long datagrams wait in the UDP receive queues, in ms (server/queue-delay-monitor.ts). */
  queueDelay?: {
    readonly lastMs: number;
    readonly maxLastMinuteMs: number;
    onSample(observer: (ms: number) => void): void;
  };
  /** Datagrams the kernel dropped at our UDP sockets (receive queue full); undefined where unknown. */
  udpReceiveDrops?(): number | undefined;
  /** Absent in contexts without a presence agent (tests of the control API alone). */
  presence?: PresenceAdmin;
  /** Whether the server serves this domain (its --domain names, its own addresses, localhost). */
  servesDomain?(domain: string): boolean;
}
