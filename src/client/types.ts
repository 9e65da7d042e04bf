// The public types of the user agent: its options, and the payloads of its events.
import type { BasicStatus, PresenceTuple } from '../presence/pidf.js';
import type { ComposingState } from '../messaging/is-composing.js';
import type { TlsClientOptions, TransportProtocol } from '../transport/types.js';
import type { BackoffOptions } from './backoff.js';
import type { SipClientError } from './errors.js';
import type { PortRange } from './local-socket.js';
import type { DnsLookup } from './resolver.js';

export interface UserAgentOptions {
  /** The address of record: `sip:alice@example.com`. */
  aor: string;
  /** Digest username; the AOR's user part by default. */
  username?: string;
  /** Digest password; without one, challenges are not answered. */
  password?: string;
  displayName?: string;
  /** The registrar as a SIP URI (`sip:example.com`, `sip:[2001:db8::1]:5070;transport=tcp`); the AOR's domain by default. */
  server?: string;
  /** Send every request to this SIP URI, with a pre-loaded Route (RFC 3261 8.1.2). */
  outboundProxy?: string;
  /** Transport when the server URI names none; otherwise RFC 3263 chooses. */
  transport?: TransportProtocol;
  /** Local UDP ports to try in order; default 5060-5160. `{ min: 0, max: 0 }` = any free port. */
  localPorts?: PortRange;
  /** Where the +sip.instance UUID and the reg-id locks are kept (RFC 5626 4.1, 4.2); `$XDG_STATE_HOME/simplesip` by default. */
  stateDir?: string;
  /** RFC 5626 outbound (+sip.instance, reg-id, keepalives); default true. */
  outbound?: boolean;
  /** Registration expiry asked for, in seconds; default 600. */
  expires?: number;
  /** SUBSCRIBE and PUBLISH expiry asked for, in seconds; default 600. */
  presenceExpires?: number;
  /** Keepalive interval override (default from Flow-Timer or RFC 5626 4.4.1) and answer timeout (default 10 s). */
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
  /** RFC 5626 4.5 backoff between re-registration attempts; default base 30 s, max 1800 s. */
  backoff?: BackoffOptions;
  /** How often to check whether the route toward the server changed (network change); default 10 s, 0 = never. */
  networkCheckIntervalMs?: number;
  /**
   * The local address the host routes toward a server address (default: what a connected UDP socket
   * reports, no packet sent). The network check polls it; hosts with their own routing policy, and
   * tests, supply another.
   */
  localAddressFor?: (remote: string, family: 4 | 6, port: number) => Promise<string>;
  /** Upper bound for close(), in ms; default 2000. */
  closeTimeoutMs?: number;
  /** RFC 3994: seconds a sent active state lasts (default 90) and ms of no typing before idle (default 15000). */
  typingRefreshSeconds?: number;
  typingIdleMs?: number;
  /** RFC 3261 timers T1/T2/T4 in ms (tests shorten them). */
  timers?: { t1?: number; t2?: number; t4?: number };
  /** DNS for RFC 3263 (node:dns by default). */
  dns?: DnsLookup;
  /** TLS/WSS server verification. */
  tls?: TlsClientOptions;
  /** WebSocket resource path (RFC 7118); default `/`. */
  wsPath?: string;
  userAgent?: string;
}

export interface RegisteredEvent {
  aor: string;
  contact: string;
  /** Seconds granted by the registrar for our Contact. */
  expires: number;
}

export interface UnregisteredEvent {
  aor: string;
  /** `requested` (unregister/close), `failed` (a refresh failed; the UA keeps trying). */
  reason: 'requested' | 'failed';
}

export interface IncomingMessage {
  from: string;
  to: string;
  /** The content type of the text, after unwrapping message/cpim. */
  contentType: string;
  body: string;
  /** RFC 3862 DateTime when the message was wrapped in CPIM. */
  dateTime?: string;
}

export interface TypingEvent {
  from: string;
  state: ComposingState;
}

export type SubscriptionStatus = 'pending' | 'active' | 'terminated';

export interface PresenceEvent {
  buddy: string;
  /** `unknown` until a NOTIFY with a PIDF body arrived. */
  basic: BasicStatus | 'unknown';
  note?: string;
  activities: string[];
  tuples: PresenceTuple[];
  subscription: SubscriptionStatus;
  /** RFC 6665 4.2.2 reason of a terminated subscription, or the failure of the SUBSCRIBE. */
  reason?: string;
}

export interface PresenceSetting {
  basic: BasicStatus;
  note?: string;
  /** RPID activity, e.g. `away`, `busy` (RFC 4480 3.2). */
  activity?: string;
}

export interface SendResult {
  status: number;
  reason: string;
  /** 2xx: 200 delivered, 202 accepted for later delivery (RFC 3428 7). */
  accepted: boolean;
  /**
   * When not accepted: what the failure means, as the other methods reject with (`auth-failed`
   * saying whether the password was wrong or none was given, `unreachable`, `rejected`, `closed`).
   */
  error?: SipClientError;
}

/** What close() achieved. */
export interface CloseResult {
  /** The un-REGISTER failed or got no answer in time: the registrar keeps our binding until it expires. */
  error?: SipClientError;
}

export interface UserAgentEvents {
  registered: [event: RegisteredEvent];
  unregistered: [event: UnregisteredEvent];
  message: [message: IncomingMessage];
  typing: [event: TypingEvent];
  presence: [event: PresenceEvent];
  error: [error: SipClientError];
}
