// What the operator sees of presence (`ctl presence show|watchers`, the control API's JSON): these
// shapes are a contract, like the binding view.
import type { BasicStatus } from './pidf.js';

export interface PublicationView {
  etag: string;
  basic: BasicStatus;
  note: string | null;
  /** Seconds left. */
  expires: number;
  /** Transport source of the PUBLISH (`udp 127.0.0.1 5070` or a connection id). */
  source: string;
  /** ISO 8601 UTC. */
  lastModified: string;
}

export interface DeviceView {
  contact: string;
  userAgent: string | null;
  /** Seconds left. */
  expires: number;
}

export interface PresenceView {
  aor: string;
  /** The composed state watchers see. */
  basic: BasicStatus;
  note: string | null;
  /** Registered devices (bindings): registration-derived presence. */
  devices: DeviceView[];
  publications: PublicationView[];
  /** The composed PIDF document as sent to an authorized watcher. */
  document: string;
}

export interface WatcherView {
  watcher: string;
  /** `presence` or `presence.winfo`. */
  event: string;
  /** What the watcher gets: the state (active), nothing yet (pending), a neutral offline (blocked). */
  state: 'active' | 'pending' | 'blocked';
  /** Seconds left. */
  expires: number;
  /** Where its NOTIFYs go: `udp 127.0.0.1:5070`, or the first route. */
  target: string;
  /** ISO 8601 UTC. */
  since: string;
}

export interface PresenceCounts {
  publications: number;
  subscriptions: number;
  winfoSubscriptions: number;
  notifiesSent: number;
  notifyFailures: number;
}
