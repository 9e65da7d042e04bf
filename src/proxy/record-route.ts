// RFC 3261 16.6 step 4: a proxy that wants to stay on the path of a dialog inserts a Record-Route
// with a URI that resolves to itself and carries lr (loose routing, 16.4). RFC 5658: when a request
// enters on one transport or address family and leaves on another, we record two entries, one per
// side, so that each party's in-dialog requests reach us over a socket it can use.
import { formatHostPort } from '../sip/uri.js';
import { DIALOG_TOKEN_PARAM } from './dialog-route-token.js';
import type { HopAddress } from './own-address.js';

/** Methods whose request creates a dialog (RFC 3261 12, RFC 6665 4.1 for SUBSCRIBE, RFC 3515 for REFER). */
const DIALOG_CREATING: ReadonlySet<string> = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);

export function createsDialog(method: string, hasToTag: boolean): boolean {
  return DIALOG_CREATING.has(method) && !hasToTag;
}

/**
 * `token`: the dialog's signature (dialog-route-token.ts), so in-dialog requests can show they follow it.
 * `sips`: the request is a SIPS one (16.6 step 4: then the Record-Route URI MUST be SIPS too). A side
 * on TLS is then `sips:` (TLS is its default transport, RFC 5630 deprecates transport=tls) and one on
 * WSS `sips:...;transport=ws`. A side on a transport without TLS cannot be reached by a SIPS URI, so
 * it keeps its `sip:` entry: only a request that already broke RFC 5630's TLS-on-every-hop gets there.
 */
export function recordRouteUri(hop: HopAddress, token?: string, sips = false): string {
  const secure = sips && (hop.protocol === 'tls' || hop.protocol === 'wss');
  const scheme = secure ? 'sips' : 'sip';
  const transport = secure ? (hop.protocol === 'wss' ? ';transport=ws' : '') : hop.protocol === 'udp' ? '' : `;transport=${hop.protocol}`;
  const signed = token === undefined ? '' : `;${DIALOG_TOKEN_PARAM}=${token}`;
  return `<${scheme}:${formatHostPort(hop.host, hop.port)}${transport};lr${signed}>`;
}

/**
 * The Record-Route values to add on top, in order. `inbound` is where the request reached us,
 * `outbound` where it leaves: one entry when both are alike, two (outbound side on top, RFC 5658 4)
 * when transport or host differ.
 */
export function recordRouteValues(inbound: HopAddress, outbound: HopAddress, token?: string, sips = false): string[] {
  const inUri = recordRouteUri(inbound, token, sips);
  const outUri = recordRouteUri(outbound, token, sips);
  return inUri === outUri ? [inUri] : [outUri, inUri];
}
