// Keys of the location service: the address-of-record a REGISTER names (RFC 3261 10.3 step 5), the
// id of one binding (RFC 3261 10.3 step 7; RFC 5626 6 and RFC 5627 when +sip.instance is present),
// and the key of the transport source a binding was registered from (connection or UDP address).
import { normalizeEscapes } from '../sip/uri-equals.js';
import { formatHost, type SipUri } from '../sip/uri.js';
import { displayHost } from '../transport/address.js';
import type { BindingSource } from '../store/types.js';
import type { SocketIdentity, TransportProtocol } from '../transport/types.js';

/**
 * RFC 3261 10.3 step 5: the AOR is the To URI without parameters, headers, port or password; escapes
 * of unreserved characters are decoded so that `sip:%61lice@x` and `sip:alice@x` name one user. The
 * user part stays case-sensitive and the host is lower-cased (RFC 3261 19.1.4).
 */
export function aorOf(uri: SipUri): string {
  // An IPv6 host canonical, an IPv4-mapped one as the IPv4 address it carries.
  const host = uri.hostKind === 'ipv6' ? displayHost(uri.host) : formatHost(uri.host.toLowerCase(), uri.hostKind);
  return uri.user === undefined ? `${uri.scheme}:${host}` : `${uri.scheme}:${normalizeEscapes(uri.user)}@${host}`;
}

/**
 * A binding's stable id. With +sip.instance the key is AOR + instance + reg-id (RFC 5626 6; RFC 5627
 * without reg-id), so a new registration of the same instance and flow replaces the old binding even
 * when its contact URI changed (new port, new address). Otherwise it is the contact as first registered;
 * later registrations find it by URI equality (RFC 3261 19.1.4), not by this text.
 */
export function bindingId(aor: string, contact: string, instance?: string, regId?: number): string {
  if (instance === undefined) return `${aor} ${contact}`;
  return regId === undefined ? `${aor} ${instance}` : `${aor} ${instance} ${regId}`;
}

/**
 * Where a binding's REGISTER came from, as one string: the connection for streams (a CRLF keepalive
 * or a close of that connection concerns exactly its bindings), the remote address and port for UDP
 * (a NUL or CRLF datagram from that address and port refreshes them).
 */
export function sourceKey(protocol: TransportProtocol, address: string, port: number, connectionId?: string): string {
  return connectionId ?? `${protocol} ${address} ${port}`;
}

/** The transport source a request came from, as bindings and subscriptions record it (`received`). */
export function receivedOf(source: SocketIdentity): BindingSource {
  return { protocol: source.protocol, address: source.remote.address, port: source.remote.port };
}
