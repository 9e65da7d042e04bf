// One binding as the location service keeps it (BindingRecord in src/store/types.ts), built from a
// REGISTER contact and the socket the REGISTER really came from.
import type { Contact } from '../sip/headers/contact.js';
import { formatUri, isSipUri, type Uri } from '../sip/uri.js';
import type { BindingRecord } from '../store/types.js';
import { sameAddress, withoutZone } from '../transport/address.js';
import type { SocketIdentity } from '../transport/types.js';
import { bindingId, receivedOf } from './binding-key.js';
import { ownCopy, type StringPool } from './intern.js';

/** Shared empty lists: most bindings have no Path and no flags, and need no array of their own. */
const NONE: string[] = [];
Object.freeze(NONE);

export interface BindingInput {
  aor: string;
  contact: Contact;
  expiresAt: number;
  callId: string;
  cseq: number;
  userAgent?: string;
  source: SocketIdentity;
  path: string[];
  /** RFC 5626 6: the REGISTER said `Supported: outbound` and this contact has +sip.instance and reg-id. */
  outbound: boolean;
  now: number;
  /** The binding this one replaces: its id is kept (so the store row is updated in place). */
  previous?: BindingRecord;
  /** `formatUri(contact.uri)`, when the caller already made it. */
  contactText?: string;
}

/**
 * True when the contact's host is an IP address other than the one the REGISTER came from, or, over
 * UDP, the same address with another port: the UA is behind a NAT, or (libpurple) wrote its first
 * interface address while sending from another one. Requests for it go to the received source.
 * A WebSocket contact's `.invalid` host (RFC 7118 5.2) is never reachable either.
 * Addresses compare as addresses, as RFC 3261 18.2.1 compares a sent-by with the source: `[::1]`
 * and `[0:0:0:0:0:0:0:1]` are one, `[::ffff:127.0.0.1]` is 127.0.0.1, and a link-local source's
 * `%zone` (which SIP cannot write, RFC 3261 25.1) is left out.
 */
export function looksNatted(uri: Uri, source: SocketIdentity): boolean {
  if (!isSipUri(uri)) return false;
  if (uri.hostKind === 'domain') return uri.host.toLowerCase().endsWith('.invalid');
  if (!sameAddress(uri.host, withoutZone(source.remote.address))) return true;
  if (source.protocol !== 'udp') return false;
  const port = uri.port ?? (uri.scheme === 'sips' ? 5061 : 5060);
  return port !== source.remote.port;
}

/**
 * Whether the device is reached over the connection its REGISTER came on, so that the binding lives
 * and dies with that connection (and the OPTIONS prober watches it). Not when the REGISTER came
 * through a proxy that added Path (RFC 3327 5): the connection, and the source, are that proxy's;
 * requests go by the Path, and the edge keeps the flow to the device (RFC 5626 5.3, 6).
 */
export function reachedOverItsConnection(b: Pick<BindingRecord, 'connectionId' | 'path'>): boolean {
  return b.connectionId !== undefined && b.path.length === 0;
}

/** The flag lists, shared and frozen like NONE: a binding's flags are replaced, never changed. */
const NAT = Object.freeze(['nat']) as string[];
const OUTBOUND = Object.freeze(['outbound']) as string[];
const NAT_OUTBOUND = Object.freeze(['nat', 'outbound']) as string[];

function flagsOf(nat: boolean, outbound: boolean): string[] {
  if (nat && outbound) return NAT_OUTBOUND;
  if (nat) return NAT;
  if (outbound) return OUTBOUND;
  return NONE;
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when `a` and `b` name one transport source (binding-key.ts sourceKey), without making the key. */
export function sameSource(a: Pick<BindingRecord, 'received' | 'connectionId'>, b: Pick<BindingRecord, 'received' | 'connectionId'>): boolean {
  if (a.connectionId !== undefined || b.connectionId !== undefined) return a.connectionId === b.connectionId;
  const x = a.received;
  const y = b.received;
  return x.protocol === y.protocol && x.address === y.address && x.port === y.port;
}

/**
 * The `socket` of a binding: the listener in `protocol:address:port` form. Nearly every REGISTER
 * comes in on the same listener, so the last one is remembered instead of formatted and pooled again.
 */
let lastListener = '';
let lastSocket = '';

function socketOf(listener: string, pool: StringPool): string {
  if (listener !== lastListener) {
    lastSocket = pool.intern(listener.replace(' ', ':'));
    lastListener = listener;
  }
  return lastSocket;
}

export function buildBinding(input: BindingInput, pool: StringPool): BindingRecord {
  const { contact, source, previous } = input;
  // Strings kept for an hour are flat copies (intern.ts); a refresh reuses the ones already kept.
  const text = input.contactText ?? formatUri(contact.uri);
  const contactText = previous !== undefined && previous.contact === text ? previous.contact : ownCopy(text);
  const callId = previous !== undefined && previous.callId === input.callId ? previous.callId : ownCopy(input.callId);
  const instance = contact.instance === undefined ? undefined : ownCopy(contact.instance);
  // Every field in one literal: one hidden class for all bindings, no out-of-object property store.
  const record: BindingRecord = {
    // Made of kept strings only, so it needs no copy of its own. The id follows the key: a binding
    // that gains or loses its +sip.instance or reg-id is another key, so it gets another id; reusing
    // the old one would let a later binding of that old key take the same store row.
    id: previous !== undefined && previous.instance === instance && previous.regId === contact.regId
      ? previous.id
      : bindingId(input.aor, contactText, instance, contact.regId),
    aor: input.aor,
    contact: contactText,
    expiresAt: input.expiresAt,
    q: contact.q,
    callId,
    cseq: input.cseq,
    userAgent: input.userAgent === undefined ? undefined : pool.intern(input.userAgent),
    received: receivedOf(source),
    socket: socketOf(source.listener, pool),
    connectionId: source.connectionId,
    path: input.path.length === 0 ? NONE : input.path.map(ownCopy),
    methods: contact.methods,
    instance,
    regId: contact.regId,
    flags: flagsOf(looksNatted(contact.uri, source), input.outbound),
    lastKeepalive: input.now,
    lastModified: input.now,
  };
  return record;
}

/** What a refresh changes in a binding: every field but its keys (id, aor, contact, instance, reg-id). */
export type BindingUpdate = Pick<BindingRecord,
  'expiresAt' | 'q' | 'callId' | 'cseq' | 'userAgent' | 'received' | 'socket' | 'connectionId' | 'path' | 'methods' | 'flags' | 'lastKeepalive' | 'lastModified'>;

/**
 * True when `input` refreshes `previous` as it is: the same contact text, +sip.instance and reg-id, so
 * the binding keeps its id and every key it is indexed by except its source (location-service.ts).
 */
export function refreshesInPlace(input: BindingInput, previous: BindingRecord): boolean {
  const text = input.contactText ?? formatUri(input.contact.uri);
  return previous.contact === text && previous.instance === input.contact.instance && previous.regId === input.contact.regId;
}

/**
 * The new values of a binding that `input` refreshes in place (refreshesInPlace). Not a new
 * BindingRecord: that one would live only until it was copied, but V8 pretenures the allocation site
 * of buildBinding (its records live for an hour) and would make it old-space garbage. Values equal to
 * the stored ones are the stored ones, so the binding keeps nothing new that did not change.
 */
export function buildUpdate(input: BindingInput, previous: BindingRecord, pool: StringPool): BindingUpdate {
  const { contact, source } = input;
  const r = previous.received;
  const sameReceived = r.protocol === source.protocol && r.address === source.remote.address && r.port === source.remote.port;
  const userAgent = input.userAgent === undefined ? undefined
    : previous.userAgent === input.userAgent ? previous.userAgent : pool.intern(input.userAgent);
  return {
    expiresAt: input.expiresAt,
    q: contact.q,
    callId: previous.callId === input.callId ? previous.callId : ownCopy(input.callId),
    cseq: input.cseq,
    userAgent,
    received: sameReceived ? r : receivedOf(source),
    socket: socketOf(source.listener, pool),
    connectionId: source.connectionId,
    path: input.path.length === 0 ? NONE : sameList(previous.path, input.path) ? previous.path : input.path.map(ownCopy),
    methods: contact.methods === undefined ? undefined : sameList(previous.methods, contact.methods) ? previous.methods : contact.methods,
    flags: flagsOf(looksNatted(contact.uri, source), input.outbound),
    lastKeepalive: input.now,
    lastModified: input.now,
  };
}

/**
 * True when `u` changes nothing of `b` but what every refresh changes (expiresAt, callId, cseq,
 * lastKeepalive, lastModified): the store then rewrites only those (BindingRepository.refresh).
 * buildUpdate hands back the stored values themselves when they did not change, so comparing
 * references is enough; a value that only compares equal falls back to a whole put, never the reverse.
 */
export function refreshesTimesOnly(b: BindingRecord, u: BindingUpdate): boolean {
  return u.q === b.q && u.userAgent === b.userAgent && u.received === b.received && u.socket === b.socket
    && u.connectionId === b.connectionId && u.path === b.path && u.methods === b.methods && u.flags === b.flags;
}

/**
 * Applies a refresh as applyUpdate does, and leaves in `u` the values `target` had: what undoes it
 * (location-service.ts keeps `u` until the write is durable), without a copy per REGISTER.
 */
export function swapUpdate(target: BindingRecord, u: BindingUpdate): void {
  const was: BindingUpdate = u;
  const { expiresAt, q, callId, cseq, userAgent, received, socket, connectionId, path, methods, flags, lastKeepalive, lastModified } = target;
  applyUpdate(target, u);
  was.expiresAt = expiresAt;
  was.q = q;
  was.callId = callId;
  was.cseq = cseq;
  was.userAgent = userAgent;
  was.received = received;
  was.socket = socket;
  was.connectionId = connectionId;
  was.path = path;
  was.methods = methods;
  was.flags = flags;
  was.lastKeepalive = lastKeepalive;
  was.lastModified = lastModified;
}

/** Applies a refresh planned by buildUpdate: `target` stays the same object (location-service.ts refresh). */
export function applyUpdate(target: BindingRecord, u: BindingUpdate): void {
  target.expiresAt = u.expiresAt;
  target.q = u.q;
  target.callId = u.callId;
  target.cseq = u.cseq;
  target.userAgent = u.userAgent;
  target.received = u.received;
  target.socket = u.socket;
  target.connectionId = u.connectionId;
  target.path = u.path;
  target.methods = u.methods;
  target.flags = u.flags;
  target.lastKeepalive = u.lastKeepalive;
  target.lastModified = u.lastModified;
}
