// URI comparison, RFC 3261 19.1.4 (SIP/SIPS) and RFC 3966 4 (tel).

import { canonicalIPv6, mappedIPv4 } from './host.js';
import { isHexDigit, isUnreserved } from './scan.js';
import { isSipUri, isTelUri, type SipUri, type TelUri, type Uri } from './uri.js';

/** Parameters that make two SIP URIs differ when present in only one of them (RFC 3261 19.1.4). */
const MUST_MATCH = ['user', 'ttl', 'method', 'maddr', 'transport'];

/**
 * Decodes `%HH` escapes of unreserved characters only and upper-cases the hex of the others:
 * an escaped reserved character (`%3A`, `%40`) is not equal to its literal (RFC 3261 19.1.4).
 * A single pass, so `%2541` stays `%2541`.
 */
export function normalizeEscapes(s: string): string {
  if (s.indexOf('%') === -1) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length && isHexDigit(s.charCodeAt(i + 1)) && isHexDigit(s.charCodeAt(i + 2))) {
      const code = parseInt(s.slice(i + 1, i + 3), 16);
      out += isUnreserved(code) ? String.fromCharCode(code) : '%' + s.slice(i + 1, i + 3).toUpperCase();
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

function sameCaseSensitive(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return normalizeEscapes(a) === normalizeEscapes(b);
}

function sameCaseInsensitive(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a === undefined || b === undefined || a === null || b === null) return a === b;
  return normalizeEscapes(a).toLowerCase() === normalizeEscapes(b).toLowerCase();
}

function paramsEqual(a: Map<string, string | null>, b: Map<string, string | null>, mustMatch: string[]): boolean {
  for (const name of mustMatch) {
    if (a.has(name) !== b.has(name)) return false;
  }
  for (const [name, value] of a) {
    if (b.has(name) && !sameCaseInsensitive(value, b.get(name))) return false;
  }
  return true;
}

function headersEqual(a: Array<[string, string]>, b: Array<[string, string]>): boolean {
  if (a.length !== b.length) return false;
  const key = ([n, v]: [string, string]): string =>
    `${normalizeEscapes(n).toLowerCase()}=${normalizeEscapes(v).toLowerCase()}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.every((k, i) => k === right[i]);
}

/**
 * Hosts compare case-insensitively (RFC 3261 19.1.4); two IPv6 references compare as addresses, so
 * `[::1]` and `[0:0:0:0:0:0:0:1]` are one host (both are valid spellings, RFC 5952 2), and an
 * IPv4-mapped one is the IPv4 address it carries (`[::ffff:127.0.0.1]` is `127.0.0.1`, RFC 4291
 * 2.5.5.2): one device that writes its address both ways has one binding, not two.
 */
function sameHost(a: SipUri, b: SipUri): boolean {
  const x = a.host.toLowerCase();
  const y = b.host.toLowerCase();
  if (x === y) return true;
  if (a.hostKind === 'ipv6' && b.hostKind === 'ipv6') return canonicalIPv6(x) === canonicalIPv6(y);
  if (a.hostKind === 'ipv6' && b.hostKind === 'ipv4') return mappedIPv4(x) === y;
  if (a.hostKind === 'ipv4' && b.hostKind === 'ipv6') return mappedIPv4(y) === x;
  return false;
}

function sipEquals(a: SipUri, b: SipUri): boolean {
  return a.scheme === b.scheme &&
    sameCaseSensitive(a.user, b.user) &&
    sameCaseSensitive(a.password, b.password) &&
    sameHost(a, b) &&
    a.port === b.port &&
    paramsEqual(a.params, b.params, MUST_MATCH) &&
    headersEqual(a.headers, b.headers);
}

/** RFC 3966 4: visual separators are ignored; parameters must all match. */
function telEquals(a: TelUri, b: TelUri): boolean {
  const digits = (n: string): string => n.replace(/[-.()]/g, '').toLowerCase();
  if (digits(a.number) !== digits(b.number) || a.params.size !== b.params.size) return false;
  for (const [name, value] of a.params) {
    if (!b.params.has(name) || !sameCaseInsensitive(value, b.params.get(name))) return false;
  }
  return true;
}

export function uriEquals(a: Uri, b: Uri): boolean {
  if (isSipUri(a)) return isSipUri(b) && sipEquals(a, b);
  if (isTelUri(a)) return isTelUri(b) && telEquals(a, b);
  if (isSipUri(b) || isTelUri(b)) return false;
  return a.scheme === b.scheme && a.opaque === b.opaque;
}
