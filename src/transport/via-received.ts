// received and rport on the top Via of a request as it arrives (RFC 3261 18.2.1, RFC 3581 4).
import type { Via } from '../sip/headers/via.js';
import type { SipMessage } from '../sip/message.js';
import { setViaParams, type ViaParams } from '../sip/via-rewrite.js';
import { sameAddress, withoutZone } from './address.js';
import type { Endpoint } from './types.js';

/**
 * What the server must record in the top Via, or undefined when it stays as sent.
 * RFC 3261 18.2.1: `received` when the sent-by host is a name or an address other than the
 * packet source. RFC 3581 4: with `rport`, `received` is always added and rport gets the source port.
 * The received value is a bare address (RFC 3261 25.1 `received = IPv4address / IPv6address`):
 * a link-local source loses its `%zone`, which the grammar has no room for (responses still go
 * back through the socket-level source, zone included).
 */
export function receivedParams(via: Via, source: Endpoint): ViaParams | undefined {
  const hasRport = via.rport !== undefined;
  const received = withoutZone(source.address);
  if (!hasRport && via.hostKind !== 'domain' && sameAddress(via.host, received)) return undefined;
  return hasRport ? { received, rport: source.port } : { received };
}

/**
 * Records received/rport in the request's top Via, rewriting only that via-parm (later via-parms
 * sharing its line and every other header keep their bytes). Returns false when there is no Via;
 * throws SipParseError when the top Via is malformed.
 */
export function stampReceived(request: SipMessage, source: Endpoint): boolean {
  const top = request.topVia();
  if (top === undefined) return false;
  const params = receivedParams(top, source);
  if (params !== undefined) setViaParams(request, params);
  return true;
}
