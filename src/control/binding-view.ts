// One binding as the control API and `ctl ul show --json` print it. The field names and value
// formats are a contract: operators' scripts parse them, so they change only by addition.
import { formatHostPort } from '../sip/uri.js';
import type { BindingRecord } from '../store/types.js';

/**
 * `active`: registered and not expired; `expired`: past its expiry, about to be removed;
 * `dead`: the location service marked it (flag `dead`) because keepalives or probes failed.
 */
export type BindingState = 'active' | 'expired' | 'dead';

/** Every key is always present; an absent optional value is `null`. */
export interface BindingView {
  aor: string;
  contact: string;
  /** Seconds left, never negative. */
  expires: number;
  q: number | null;
  callId: string;
  cseq: number;
  userAgent: string | null;
  /** `udp:192.0.2.1:5060`, `tcp:[2001:db8::1]:40112`: where the REGISTER really came from. */
  received: string;
  path: string[];
  state: BindingState;
  flags: string[];
  /** The local socket as really bound: `udp:[::]:5060`, `udp:0.0.0.0:5060`. */
  socket: string;
  methods: string[] | null;
  instance: string | null;
  regId: number | null;
  /** ISO 8601 UTC. */
  lastKeepalive: string | null;
  /** ISO 8601 UTC. */
  lastModified: string;
}

export function bindingState(b: BindingRecord, now: number): BindingState {
  if (b.flags.includes('dead')) return 'dead';
  return b.expiresAt > now ? 'active' : 'expired';
}

export function toBindingView(b: BindingRecord, now: number): BindingView {
  return {
    aor: b.aor,
    contact: b.contact,
    // Rounded up: an active binding never shows 0 seconds left.
    expires: Math.max(0, Math.ceil((b.expiresAt - now) / 1000)),
    q: b.q ?? null,
    callId: b.callId,
    cseq: b.cseq,
    userAgent: b.userAgent ?? null,
    received: `${b.received.protocol}:${formatHostPort(b.received.address, b.received.port)}`,
    path: b.path,
    state: bindingState(b, now),
    flags: b.flags,
    socket: b.socket,
    methods: b.methods ?? null,
    instance: b.instance ?? null,
    regId: b.regId ?? null,
    lastKeepalive: b.lastKeepalive === undefined ? null : new Date(b.lastKeepalive).toISOString(),
    lastModified: new Date(b.lastModified).toISOString(),
  };
}
