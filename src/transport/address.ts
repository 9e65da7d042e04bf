// Address normalization at the transport edge (docs/internals.md): IPv4-mapped IPv6 addresses become
// IPv4, IPv6 is kept bare and in RFC 5952 canonical form, so every layer above compares strings.
import { isIP, isIPv4 } from 'node:net';
import { canonicalIPv6 } from '../sip/host.js';
import type { AddressFamily } from './types.js';

const MAPPED_PREFIX = '::ffff:';

/** `::ffff:192.0.2.1` -> `192.0.2.1`, `[2001:DB8::1]` -> `2001:db8::1`; other text is returned as is. */
export function normalizeAddress(address: string): string {
  let a = address;
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  if (isIPv4(a)) return a;
  const zoneAt = a.indexOf('%');
  const bare = zoneAt === -1 ? a : a.slice(0, zoneAt);
  if (isIP(bare) !== 6) return a;
  const canonical = canonicalIPv6(bare);
  if (canonical.startsWith(MAPPED_PREFIX) && isIPv4(canonical.slice(MAPPED_PREFIX.length))) {
    return canonical.slice(MAPPED_PREFIX.length);
  }
  return zoneAt === -1 ? canonical : canonical + a.slice(zoneAt);
}

/**
 * A domain as simplesip keys it (`--domain`, users, digest realms; the AOR's host is this, bracketed
 * when IPv6): RFC 3261 19.1.4 compares hosts case-insensitively and IP addresses as addresses, so a
 * name is lower-cased, an IPv6 address bare and canonical (`[2001:DB8:0::1]` -> `2001:db8::1`, RFC
 * 5954 4.1) and an IPv4-mapped one (`::ffff:192.0.2.7`) the IPv4 address it carries.
 */
export function canonicalDomain(host: string): string {
  // Names and IPv4 addresses have no colon: lower case is all they need.
  return host.indexOf(':') === -1 ? host.toLowerCase() : normalizeAddress(host).toLowerCase();
}

/**
 * The cheap form for addresses Node reports for its own sockets: they are already canonical
 * (inet_ntop), so only the IPv4-mapped prefix has to go.
 */
export function normalizeSocketAddress(address: string): string {
  return address.startsWith(MAPPED_PREFIX) && isIPv4(address.slice(MAPPED_PREFIX.length))
    ? address.slice(MAPPED_PREFIX.length)
    : address;
}

/**
 * The address as SIP writes it: `fe80::1%eth0` -> `fe80::1`. Node reports a link-local peer with
 * its zone (scope id); sockets need it to send back, but RFC 3261 25.1 (`IPv6address`) has no zone,
 * so it never goes into received, a Via sent-by or a Contact.
 */
export function withoutZone(address: string): string {
  const zoneAt = address.indexOf('%');
  return zoneAt === -1 ? address : address.slice(0, zoneAt);
}

/**
 * A host as simplesip writes it into SIP text (AOR keys, the client's URIs, reason phrases, Warning
 * values): an IPv4-mapped address as the IPv4 address it carries, IPv6 canonical and bracketed (as in
 * a SIP hostport, RFC 3261 25.1), names unchanged.
 */
export function displayHost(host: string): string {
  const a = addressFamily(host) === undefined ? host : withoutZone(normalizeAddress(host));
  return a.includes(':') ? `[${a}]` : a;
}

/**
 * A socket's peer address for logs and warnings: Node reports an IPv4 peer of a dual-stack socket
 * as `::ffff:a.b.c.d`, which simplesip never writes (README: Transports and addresses).
 */
export function peerAddress(socket: { remoteAddress?: string }): string | undefined {
  return socket.remoteAddress === undefined ? undefined : normalizeSocketAddress(socket.remoteAddress);
}

/** 4 or 6 for an IP address (brackets allowed), undefined for anything else (a domain name). */
export function addressFamily(address: string): AddressFamily | undefined {
  const a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(a.split('%')[0]);
  return family === 0 ? undefined : (family as AddressFamily);
}

/** RFC 3261 18.2.1 compares the sent-by host with the packet source: equal IPs in any spelling match. */
export function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  return addressFamily(a) !== undefined && normalizeAddress(a) === normalizeAddress(b);
}

/** The address to pass to a socket call: an IPv4 target becomes `::ffff:a.b.c.d` on a dual-stack IPv6 socket. */
export function socketAddressFor(address: string, socketFamily: AddressFamily): string {
  return socketFamily === 6 && isIPv4(address) ? MAPPED_PREFIX + address : address;
}
