// URIs the server writes from what peers registered (a contact, a Path entry, a subscriber's
// Contact): an IPv4-mapped IPv6 host (`[::ffff:192.0.2.1]`) is written as the IPv4 address it
// carries (README: SIP written by simplesip never carries `::ffff:`). RFC 3261 16.5 and 12.2.1.1 ask
// for such a URI as registered; `192.0.2.1` is the same address (RFC 4291 2.5.5.2), so the text
// changes and the destination does not.
import { SipParseError } from './errors.js';
import { mappedIPv4 } from './host.js';
import { formatNameAddr, parseNameAddr } from './name-addr.js';
import { formatUri, isSipUri, parseUri, type Uri } from './uri.js';

/** Sets an IPv4-mapped host to its IPv4 address; false when the URI has none. */
function unmap(uri: Uri): boolean {
  if (!isSipUri(uri) || uri.hostKind !== 'ipv6') return false;
  const v4 = mappedIPv4(uri.host);
  if (v4 === undefined) return false;
  uri.host = v4;
  uri.hostKind = 'ipv4';
  return true;
}

/** What `parse` returns; undefined for text that does not parse (kept as it is, as it was before). */
function parsed<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (err instanceof SipParseError) return undefined;
    throw err;
  }
}

/**
 * Whether `text` may hold a mapped host: an IPv6 reference (a bracket) with an `ffff` group. Most
 * texts (IPv4 and names, and nearly all IPv6) are then never parsed.
 */
function mayBeMapped(text: string): boolean {
  return text.indexOf('[') !== -1 && /ffff/i.test(text);
}

/** `sip:bob@[::ffff:192.0.2.1]:5060` -> `sip:bob@192.0.2.1:5060`; any other URI text as it is. */
export function uriWithIPv4Host(text: string): string {
  if (!mayBeMapped(text)) return text;
  const uri = parsed(() => parseUri(text));
  return uri !== undefined && unmap(uri) ? formatUri(uri) : text;
}

/** The same for a name-addr (`<sip:[::ffff:192.0.2.1]:5060;lr>`, a Path or Route value). */
export function nameAddrWithIPv4Host(text: string): string {
  if (!mayBeMapped(text)) return text;
  const na = parsed(() => parseNameAddr(text));
  return na !== undefined && unmap(na.uri) ? formatNameAddr(na) : text;
}
