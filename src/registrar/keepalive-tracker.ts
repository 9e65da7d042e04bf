// Keepalives and closed connections seen by the transport, applied to the bindings of their source.
import type { EventEmitter } from 'node:events';
import type { TransportEvents } from '../transport/transport-manager.js';
import type { SocketIdentity, TransportLogger } from '../transport/types.js';
import { sourceKey } from './binding-key.js';
import { reachedOverItsConnection } from './binding-record.js';
import type { LocationService } from './location-service.js';
import type { BindingRecord } from '../store/types.js';

function keyOf(source: SocketIdentity): string {
  return sourceKey(source.protocol, source.remote.address, source.remote.port, source.connectionId);
}

/**
 * RFC 5626 4.4 (CRLF on streams, STUN on UDP) and libpurple's NUL datagram: a keepalive from a source
 * proves it alive, so its bindings get `lastKeepalive` (and the OPTIONS prober leaves them alone).
 */
export function trackKeepalives(transport: EventEmitter<TransportEvents>, location: LocationService): void {
  transport.on('keepalive', (source) => {
    location.touch(keyOf(source));
  });
}

/** A binding that goes when its connection closes: reached over it, and no RFC 5626 flow. */
function diesWithItsConnection(b: BindingRecord): boolean {
  return reachedOverItsConnection(b) && !b.flags.includes('outbound');
}

/**
 * A binding registered over a stream is reachable only through that connection (the UA is usually
 * behind a NAT or firewall): when it closes, its bindings go. Not a binding registered through an
 * edge proxy (Path, RFC 3327): the connection was the proxy's. Exception, RFC 5626 5.3 and 6: a binding
 * registered as an outbound flow (flag `outbound`) stays until it expires or the UA registers the flow
 * again over a new connection (same +sip.instance and reg-id: it replaces the binding); meanwhile a
 * request for it finds no connection (the proxy answers 430 Flow Failed, RFC 5626 5.3), and it is
 * flagged `flow-closed`.
 */
export function removeOnConnectionClose(transport: EventEmitter<TransportEvents>, location: LocationService, log: TransportLogger): void {
  transport.on('connection-closed', (source) => {
    if (source.connectionId === undefined) return;
    location.markFlowClosed(source.connectionId);
    location.removeFrom(source.connectionId, 'connection-closed', diesWithItsConnection)
      .catch((err: unknown) => log.warn({ connection: source.connectionId, err: String(err) },
        'could not delete the bindings of a closed connection from the store'));
  });
}

/**
 * At start, before any socket opens: stream bindings restored from storage name connections that
 * died with the previous process. Plain ones go, as they would have when their connection closed;
 * RFC 5626 flows stay (5.3) until they expire or their UA registers again, flagged `flow-closed` (the
 * proxy's flow state counts their connections as closed). Resolves with how many went.
 */
export async function dropRestoredStreamBindings(location: LocationService): Promise<number> {
  const connections = new Set<string>();
  for (const b of location.entries()) {
    if (diesWithItsConnection(b)) connections.add(b.connectionId as string);
    else if (b.connectionId !== undefined) location.markFlowClosed(b.connectionId);
  }
  let removed = 0;
  for (const id of connections) removed += await location.removeFrom(id, 'connection-closed', diesWithItsConnection);
  return removed;
}
