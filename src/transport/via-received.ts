// received and rport on the top Via of a request as it arrives (RFC 3261 18.2.1, RFC 3581 4).
import { formatVia, type Via } from '../sip/headers/via.js';
import type { SipMessage } from '../sip/message.js';
import { findListEnd } from '../sip/scan.js';
import { sameAddress } from './address.js';
import type { Endpoint } from './types.js';

/**
 * The top Via as the server must record it, or undefined when it stays as sent.
 * RFC 3261 18.2.1: `received` when the sent-by host is a name or an address other than the
 * packet source. RFC 3581 4: with `rport`, `received` is always added and rport gets the source port.
 * The received value is a bare address (RFC 3261 25.1 `received = IPv4address / IPv6address`).
 */
export function withReceived(via: Via, source: Endpoint): Via | undefined {
  const hasRport = via.rport !== undefined;
  const differs = via.hostKind === 'domain' || !sameAddress(via.host, source.address);
  if (!hasRport && !differs) return undefined;
  const updated: Via = { ...via, received: source.address };
  if (hasRport) updated.rport = source.port;
  return updated;
}

/**
 * Records received/rport in the request's top Via, rewriting only that via-parm: later via-parms
 * sharing its line and every other header keep their bytes. Returns false when there is no Via;
 * throws SipParseError when the top Via is malformed.
 */
export function stampReceived(request: SipMessage, source: Endpoint): boolean {
  const top = request.topVia();
  if (top === undefined) return false;
  const updated = withReceived(top, source);
  if (updated === undefined) return true;
  const fields = request.rawValues('via');
  // The first field may hold several comma-separated via-parms (RFC 3261 7.3.1); keep the others.
  const rest = fields[0].slice(findListEnd(fields[0], 0));
  request.setHeader('via', formatVia(updated) + rest);
  for (let i = 1; i < fields.length; i++) request.addHeader('via', fields[i], 'last');
  return true;
}
