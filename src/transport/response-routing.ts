// Where a response goes (RFC 3261 18.2.2, RFC 3581 4). Pure: the manager does the sending.
import { addressFamily, normalizeAddress } from './address.js';
import type { SocketIdentity, TransportProtocol } from './types.js';

/** The parts of the top Via that routing reads (the sip/ Via type has them all). */
export interface ViaRouteFields {
  host: string;
  port?: number;
  received?: string;
  rport: number | null | undefined;
  maddr?: string;
}

export interface ResponseRouteOptions {
  /**
   * true (default): answer to the packet's source address and port, as if rport were present
   * (Kamailio's force_rport) — the only thing that works through NAT. false: RFC 3261 18.2.2 as written.
   */
  symmetric: boolean;
}

export type ResponseRoute =
  /** Streams: the request's connection (when it is gone, see reconnectDestination). */
  | { kind: 'connection'; protocol: TransportProtocol; connectionId: string | undefined }
  /** Datagrams: from the listener the request came in on (when it can reach the address). */
  | { kind: 'datagram'; listener: string; destination: Destination };

export interface Destination {
  address: string;
  port: number;
}

/** RFC 3261 18.2.2 / 19.1.2: default port when sent-by has none. */
function defaultPort(protocol: TransportProtocol): number {
  return protocol === 'tls' || protocol === 'wss' ? 5061 : 5060;
}

/**
 * RFC 3261 18.2.2: datagrams go to maddr, else received (RFC 3581: at rport when it has a value),
 * else the sent-by host; a stream whose connection is gone reconnects to received (else sent-by)
 * at the sent-by port. Undefined when that host is a name (RFC 3263 resolution is not done here).
 */
function viaDestination(via: ViaRouteFields, protocol: TransportProtocol, datagram: boolean): Destination | undefined {
  const port = via.port ?? defaultPort(protocol);
  if (datagram && via.maddr !== undefined && addressFamily(via.maddr) !== undefined) {
    return { address: normalizeAddress(via.maddr), port };
  }
  if (via.received !== undefined && addressFamily(via.received) !== undefined) {
    // RFC 3581 4: over UDP, with rport filled in, the response goes to received:rport.
    return { address: normalizeAddress(via.received), port: datagram && typeof via.rport === 'number' ? via.rport : port };
  }
  if (addressFamily(via.host) !== undefined) return { address: normalizeAddress(via.host), port };
  return undefined;
}

/**
 * RFC 3261 18.2.2: a tcp/tls response whose connection is gone goes over a new connection to the
 * received address (else the sent-by host) at the sent-by port. Undefined for ws/wss (only the
 * client opens those, RFC 7118) and for a sent-by name without received.
 */
export function reconnectDestination(via: ViaRouteFields, protocol: TransportProtocol): Destination | undefined {
  return protocol === 'tcp' || protocol === 'tls' ? viaDestination(via, protocol, false) : undefined;
}

/**
 * `topVia` is only read when the route depends on it (strict UDP routing), so a request whose Via
 * cannot be parsed can still get its 400 over its connection or back to its source.
 */
export function routeResponse(topVia: () => ViaRouteFields | undefined, source: SocketIdentity,
  options: ResponseRouteOptions): ResponseRoute | undefined {
  // The transport the request really used decides, not the Via token: a Via saying TCP on a request
  // that came over UDP is answered over UDP on the socket it arrived on.
  const protocol = source.protocol;
  if (protocol !== 'udp') return { kind: 'connection', protocol, connectionId: source.connectionId };
  if (options.symmetric) {
    return { kind: 'datagram', listener: source.listener, destination: { address: source.remote.address, port: source.remote.port } };
  }
  // RFC 3261 18.2.2: maddr first, then received, then sent-by.
  const via = topVia();
  const destination = via === undefined ? undefined : viaDestination(via, protocol, true);
  return destination === undefined ? undefined : { kind: 'datagram', listener: source.listener, destination };
}
