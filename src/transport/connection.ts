// What the pool and the manager know of a stream connection (tcp, tls, ws, wss), whatever carries it.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { normalizeSocketAddress } from './address.js';
import type { Endpoint, SocketIdentity } from './types.js';

/** `abandoned`: its user gave it up (closeConnection), as a client does with a failed flow. */
export type CloseReason = 'idle' | 'peer' | 'error' | 'framing-error' | 'shutdown' | 'abandoned';

export interface Connection {
  /** Its identity; `identity.connectionId` is set. */
  readonly identity: SocketIdentity;
  readonly closed: boolean;
  write(data: Buffer): Promise<void>;
  close(reason: CloseReason): void;
  /**
   * Whether the peer proved to be `name`'s server: a TLS connection we opened whose certificate was
   * verified and names it (RFC 5922 4.1). Absent or false for every other connection.
   */
  authenticates?(name: string): boolean;
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
/**
 * Ids are stored with stream bindings and outlive the process: a restarted server restores bindings
 * that name connections of its previous life. A random tag per process keeps those from ever naming
 * a new connection (a restored `tcp-1` was the first new connection's id: requests for the restored
 * binding went to whoever connected first).
 */
const PROCESS_TAG = randomBytes(4).toString('hex');

/** `tcp-3fa2b7c1-1`, `wss-3fa2b7c1-2`: unique in this process, and across restarts. */
function newConnectionId(protocol: string): string {
  nextId += 1;
  return `${protocol}-${PROCESS_TAG}-${nextId}`;
}

function endpoint(address: string | undefined, port: number | undefined): Endpoint {
  const a = normalizeSocketAddress(address ?? '');
  return { address: a, port: port ?? 0, family: a.includes(':') ? 6 : 4 };
}

/**
 * The identity of a new stream connection on `socket` (TCP, or the TCP/TLS socket under a
 * WebSocket): for a wildcard listener the kernel knows the real local address, and an IPv4 peer of
 * a dual-stack socket shows as plain IPv4.
 */
export function connectionIdentity(socket: Socket, protocol: SocketIdentity['protocol'], listener: string): SocketIdentity {
  return {
    protocol,
    local: endpoint(socket.localAddress, socket.localPort),
    remote: endpoint(socket.remoteAddress, socket.remotePort),
    listener,
    connectionId: newConnectionId(protocol),
  };
}
