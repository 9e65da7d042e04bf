// What listeners and connections hand up to the manager.
import type { KeepaliveKind, SocketIdentity } from './types.js';

export interface InboundHandler {
  /** The bytes of one SIP message: a datagram, a WebSocket message or one framed stream message. */
  sip(data: Buffer, source: SocketIdentity): void;
  /** A keepalive (RFC 5626 3.5.1, 4.4.1; Pidgin's NUL byte) seen on `source`. */
  keepalive(source: SocketIdentity, kind: KeepaliveKind): void;
  /** A STUN response (RFC 5389 6: class success or error) on a UDP socket: the answer to a client's keepalive. */
  stunResponse(data: Buffer, source: SocketIdentity): void;
}
