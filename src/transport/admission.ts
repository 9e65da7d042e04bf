// Admission of accepted TCP connections (--max-connections, --idle-timeout) before they carry SIP:
// a TLS handshake or a WebSocket upgrade (RFC 7118 4.1) is still a connection holding a socket, so
// it takes a slot from the moment it is accepted and must complete within the setup timeout.
import type { Socket } from 'node:net';
import type { ListenerInfo } from './types.js';

export interface Admission {
  /** A TCP connection was just accepted: false refuses it (the listener destroys it). */
  admit(socket: Socket, listener: ListenerInfo): boolean;
  /** How long a TLS handshake or WebSocket upgrade may take: at most the idle timeout. */
  readonly setupTimeoutMs: number;
}

/** Node's own TLS handshake timeout: the setup timeout is never longer than before. */
export const SETUP_TIMEOUT_MAX_MS = 120_000;

/**
 * A listener's accepted TCP sockets that do not carry SIP yet (still in their TLS handshake or
 * before the WebSocket upgrade). Those that do are the pool's; they leave this count when their
 * session starts, and every socket leaves it when it closes.
 */
export class PendingSockets {
  private readonly sockets = new Set<Socket>();
  private established = 0;

  get count(): number {
    return Math.max(0, this.sockets.size - this.established);
  }

  /** Every accepted TCP socket, from 'connection' until it closes. */
  track(raw: Socket): void {
    this.sockets.add(raw);
    raw.once('close', () => this.sockets.delete(raw));
  }

  /** `session` (the TCP socket, or the TLS socket over it) now carries SIP: it is counted by the pool. */
  started(session: Socket): void {
    this.established += 1;
    session.once('close', () => { this.established -= 1; });
  }

  /** For close(): no accepted socket, however far it got, keeps the listener waiting. */
  destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}

/**
 * Accepted connections per remote address, from accept until they close: one host may hold at most
 * `max` of them, so it cannot take every --max-connections slot (kept open by CRLF pings) and lock
 * everyone else out.
 */
export class ConnectionsPerAddress {
  private readonly open = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Counts `socket` for `address` until it closes; false (and nothing counted) when the address is at its limit. */
  take(address: string, socket: Socket): boolean {
    const n = this.open.get(address) ?? 0;
    if (n >= this.max) return false;
    this.open.set(address, n + 1);
    socket.once('close', () => {
      const left = (this.open.get(address) ?? 1) - 1;
      if (left <= 0) this.open.delete(address);
      else this.open.set(address, left);
    });
    return true;
  }
}
