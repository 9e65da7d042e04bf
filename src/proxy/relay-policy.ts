// No open relay (RFC 3261 16.3 step 6 / 26.3.2.3, RFC 5765 4.1): a request for a domain we do not
// serve is forwarded only for an authenticated user of ours. The exceptions are requests nobody can
// or need authenticate: ACK and CANCEL (RFC 3261 22.1: they cannot be resubmitted), in-dialog requests
// that come through a Record-Route of ours (the dialog's initial request was checked; NOTIFY and BYE
// from foreign parties come this way; the Route entry must carry our signed token, since a client can
// preload a Route to us and write any To tag), and requests for a registered contact of our users.
import type { SipMessage } from '../sip/message.js';
import { isSipUri } from '../sip/uri.js';
import { displayHost } from '../transport/address.js';
import type { RequestKind } from './route-request.js';

export type RelayDecision =
  | { kind: 'relay' }
  /** Only for a user of ours who proves it (407 challenge, RFC 3261 22.3). */
  | { kind: 'authenticate' }
  | { kind: 'refuse'; reason: string };

export function relayDecision(
  request: SipMessage,
  kind: RequestKind,
  viaOurRecordRoute: boolean,
  isLocalDomain: (host: string) => boolean,
): RelayDecision {
  if (kind === 'user' || kind === 'self' || kind === 'contact') return { kind: 'relay' };
  if (request.method === 'ACK' || request.method === 'CANCEL') return { kind: 'relay' };
  if (viaOurRecordRoute && request.to().tag !== undefined) return { kind: 'relay' };
  const from = request.from().uri;
  if (isSipUri(from) && isLocalDomain(from.host)) return { kind: 'authenticate' };
  const target = request.uri();
  // `::ffff:192.0.2.1` is shown as the IPv4 address it carries, IPv6 bracketed (README: no ::ffff:).
  const host = isSipUri(target) ? displayHost(target.host) : target.scheme;
  return { kind: 'refuse', reason: `Forbidden (relaying to ${host} is not allowed)` };
}
