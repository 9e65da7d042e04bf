// One binding as the location service keeps it (BindingRecord in src/store/types.ts), built from a
// REGISTER contact and the socket the REGISTER really came from.
import type { Contact } from '../sip/headers/contact.js';
import { formatUri, isSipUri, type Uri } from '../sip/uri.js';
import type { BindingRecord } from '../store/types.js';
import type { SocketIdentity } from '../transport/types.js';
import { bindingId } from './binding-key.js';
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
 */
export function looksNatted(uri: Uri, source: SocketIdentity): boolean {
  if (!isSipUri(uri)) return false;
  if (uri.hostKind === 'domain') return uri.host.toLowerCase().endsWith('.invalid');
  if (uri.host.toLowerCase() !== source.remote.address.toLowerCase()) return true;
  if (source.protocol !== 'udp') return false;
  const port = uri.port ?? (uri.scheme === 'sips' ? 5061 : 5060);
  return port !== source.remote.port;
}

function flagsOf(nat: boolean, outbound: boolean): string[] {
  if (nat && outbound) return ['nat', 'outbound'];
  if (nat) return ['nat'];
  if (outbound) return ['outbound'];
  return NONE;
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
    // Made of kept strings only, so it needs no copy of its own.
    id: previous?.id ?? bindingId(input.aor, contactText, instance, contact.regId),
    aor: input.aor,
    contact: contactText,
    expiresAt: input.expiresAt,
    q: contact.q,
    callId,
    cseq: input.cseq,
    userAgent: input.userAgent === undefined ? undefined : pool.intern(input.userAgent),
    received: { protocol: source.protocol, address: source.remote.address, port: source.remote.port },
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
