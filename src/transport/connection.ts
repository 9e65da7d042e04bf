// What the pool and the manager know of a stream connection (tcp, tls, ws, wss), whatever carries it.
import type { SocketIdentity } from './types.js';

export type CloseReason = 'idle' | 'peer' | 'error' | 'framing-error' | 'shutdown';

export interface Connection {
  /** Its identity; `identity.connectionId` is set. */
  readonly identity: SocketIdentity;
  readonly closed: boolean;
  write(data: Buffer): Promise<void>;
  close(reason: CloseReason): void;
}

export interface ConnectionEvents {
  /** The connection is gone (after close(), a peer close, an error or the idle timeout). */
  closed(connection: Connection, reason: CloseReason): void;
  /**
   * A fatal stream framing error (RFC 3261 18.3: no Content-Length, too large, garbage): the
   * connection stops reading and closes after the next write (the 400/513) or a grace period.
   * `pending` holds the bytes of the message being framed, so that answer can still be built.
   */
  framingError(connection: Connection, reason: string, pending: Buffer): void;
}

let nextId = 0;

/** `tcp-1`, `wss-2`: unique in this process. */
export function newConnectionId(protocol: string): string {
  nextId += 1;
  return `${protocol}-${nextId}`;
}
