// SIP, SIPS and tel URIs (RFC 3261 19.1, 25.1; RFC 3966); other absolute URIs are kept opaque.

import { badRequest } from './errors.js';
import { classifyHost, formatHost, parsePort, type HostKind } from './host.js';
import { CHARS, isEscapedText, lowerCase, scanEscaped } from './scan.js';

export { formatHost, formatHostPort, type HostKind } from './host.js';

export interface SipUri {
  scheme: 'sip' | 'sips';
  /** As written, escapes kept. */
  user?: string;
  password?: string;
  /** Never bracketed: an IPv6 reference is stored bare. */
  host: string;
  hostKind: HostKind;
  port?: number;
  /** Lower-cased names, values as written; null for a parameter without value. */
  params: Map<string, string | null>;
  headers: Array<[string, string]>;
}

export interface TelUri {
  scheme: 'tel';
  number: string;
  params: Map<string, string | null>;
}

export interface OtherUri {
  scheme: string;
  opaque: string;
}

export type Uri = SipUri | TelUri | OtherUri;

export function isSipUri(uri: Uri): uri is SipUri {
  return uri.scheme === 'sip' || uri.scheme === 'sips';
}

export function isTelUri(uri: Uri): uri is TelUri {
  return uri.scheme === 'tel';
}

/** Parses an absolute URI; throws SipParseError (400) naming the defect. */
export function parseUri(text: string): Uri {
  // Nearly every URI is sip: or sips:, recognised without slicing and lower-casing the scheme.
  const sip = sipSchemeEnd(text);
  if (sip === 3) return parseSipUri(text, 4, 'sip');
  if (sip === 4) return parseSipUri(text, 5, 'sips');
  const colon = schemeEnd(text);
  if (colon <= 0) throw badRequest('malformed URI (missing scheme)');
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === 'tel') return parseTelUri(text, colon + 1);
  return parseOtherUri(text, colon + 1, scheme);
}

/** 3 for `sip:`, 4 for `sips:` (any case), -1 otherwise. */
function sipSchemeEnd(text: string): number {
  if ((text.charCodeAt(0) | 0x20) !== 115 || (text.charCodeAt(1) | 0x20) !== 105 || (text.charCodeAt(2) | 0x20) !== 112) {
    return -1;
  }
  const c = text.charCodeAt(3);
  if (c === 58) return 3;
  return (c | 0x20) === 115 && text.charCodeAt(4) === 58 ? 4 : -1;
}

/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986 3.1); index of the colon. */
function schemeEnd(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 58) return i;
    const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!alpha && (i === 0 || !((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46))) return -1;
  }
  return -1;
}

function parseSipUri(text: string, start: number, scheme: 'sip' | 'sips'): SipUri {
  const end = text.length;
  let i = start;
  let user: string | undefined;
  let password: string | undefined;
  // '@' may appear neither in the host, the parameters nor the headers, so the first one ends the userinfo.
  const at = text.indexOf('@', start);
  if (at !== -1) {
    // The user part ends at the first ':' (a password follows) or at the '@'; ':' is not a user char.
    const userEnd = scanEscaped(text, start, at, CHARS.USER);
    if (userEnd === start || (userEnd !== at && text.charCodeAt(userEnd) !== 58)) {
      throw badRequest('malformed URI (bad user part)');
    }
    user = text.slice(start, userEnd);
    if (userEnd < at) {
      if (!isEscapedText(text, userEnd + 1, at, CHARS.PASSWORD)) throw badRequest('malformed URI (bad password)');
      password = text.slice(userEnd + 1, at);
    }
    i = at + 1;
  }
  let host: string;
  let hostKind: HostKind | undefined;
  if (text.charCodeAt(i) === 91) {
    const close = text.indexOf(']', i);
    if (close === -1) throw badRequest('malformed URI (unterminated IPv6 reference)');
    host = text.slice(i + 1, close);
    hostKind = classifyHost(host) === 'ipv6' ? 'ipv6' : undefined;
    i = close + 1;
  } else {
    const hostStart = i;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === 58 || c === 59 || c === 63) break;
      i++;
    }
    host = text.slice(hostStart, i);
    hostKind = classifyHost(host);
    // RFC 5118 4.2: an IPv6 address must be bracketed.
    if (text.charCodeAt(i) === 58 && text.indexOf(':', i + 1) !== -1 && !/[;?]/.test(text.slice(i, text.indexOf(':', i + 1)))) {
      throw badRequest('malformed URI (IPv6 address without [])');
    }
  }
  if (hostKind === undefined) throw badRequest('malformed URI (bad host)');
  let port: number | undefined;
  if (text.charCodeAt(i) === 58) {
    const portStart = i + 1;
    i = portStart;
    while (i < end && text.charCodeAt(i) !== 59 && text.charCodeAt(i) !== 63) i++;
    port = parsePort(text, portStart, i);
    if (port < 0) throw badRequest('malformed URI (bad port)');
  }
  const params = new Map<string, string | null>();
  i = parseUriParams(text, i, params, true);
  const headers: Array<[string, string]> = [];
  if (i < end && text.charCodeAt(i) === 63) i = parseUriHeaders(text, i + 1, headers);
  if (i !== end) throw badRequest('malformed URI (unexpected character)');
  const uri: SipUri = { scheme, host, hostKind, params, headers };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  return uri;
}

/** `*( ";" pname [ "=" pvalue ] )`; returns the index after the last parameter. */
function parseUriParams(text: string, i: number, out: Map<string, string | null>, sip: boolean): number {
  const end = text.length;
  while (i < end && text.charCodeAt(i) === 59) {
    const nameStart = i + 1;
    // ';', '=' and '?' are not param chars: the scan stops at the delimiter or at the first bad char.
    let j = scanEscaped(text, nameStart, end, CHARS.PARAM);
    if (j === nameStart || !endsParam(text, j, end, sip, true)) throw badRequest('malformed URI (bad parameter)');
    const name = lowerCase(text.slice(nameStart, j));
    let value: string | null = null;
    if (j < end && text.charCodeAt(j) === 61) {
      const valueStart = j + 1;
      j = scanEscaped(text, valueStart, end, CHARS.PARAM);
      if (j === valueStart || !endsParam(text, j, end, sip, false)) {
        throw badRequest('malformed URI (bad parameter value)');
      }
      value = text.slice(valueStart, j);
    }
    if (!out.has(name)) out.set(name, value);
    i = j;
  }
  return i;
}

/** True when text[j] may end a parameter name (or value): the end, ';', '=' (names only), '?' (sip). */
function endsParam(text: string, j: number, end: number, sip: boolean, name: boolean): boolean {
  if (j === end) return true;
  const c = text.charCodeAt(j);
  return c === 59 || (name && c === 61) || (sip && c === 63);
}

/** headers = hname "=" hvalue *( "&" hname "=" hvalue ) (RFC 3261 25.1). */
function parseUriHeaders(text: string, i: number, out: Array<[string, string]>): number {
  const end = text.length;
  for (;;) {
    let amp = text.indexOf('&', i);
    if (amp === -1) amp = end;
    const eq = text.indexOf('=', i);
    if (eq === -1 || eq > amp || eq === i) throw badRequest('malformed URI (bad header)');
    if (!isEscapedText(text, i, eq, CHARS.HNV) || !isEscapedText(text, eq + 1, amp, CHARS.HNV)) {
      throw badRequest('malformed URI (bad header)');
    }
    out.push([text.slice(i, eq), text.slice(eq + 1, amp)]);
    if (amp === end) return end;
    i = amp + 1;
  }
}

/** tel URI (RFC 3966 3): the number up to the first ';', then parameters. */
function parseTelUri(text: string, start: number): TelUri {
  let i = start;
  while (i < text.length && text.charCodeAt(i) !== 59) {
    const c = text.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) ||
      c === 42 || c === 35 || c === 43 || c === 45 || c === 46 || c === 40 || c === 41;
    if (!ok) throw badRequest('malformed URI (bad telephone number)');
    i++;
  }
  if (i === start) throw badRequest('malformed URI (empty telephone number)');
  const number = text.slice(start, i);
  const params = new Map<string, string | null>();
  i = parseUriParams(text, i, params, false);
  if (i !== text.length) throw badRequest('malformed URI (unexpected character)');
  return { scheme: 'tel', number, params };
}

/** Any other scheme: kept opaque; whether it is supported is the UAS's decision (RFC 3261 8.2.2.1, 416). */
function parseOtherUri(text: string, start: number, scheme: string): OtherUri {
  if (start === text.length) throw badRequest('malformed URI (empty)');
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 34 || c === 60 || c === 62) throw badRequest('malformed URI (bad character)');
  }
  return { scheme, opaque: text.slice(start) };
}

function formatParams(params: Map<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}

export function formatUri(uri: Uri): string {
  if (isSipUri(uri)) {
    let out = uri.scheme + ':';
    if (uri.user !== undefined) {
      out += uri.user;
      if (uri.password !== undefined) out += ':' + uri.password;
      out += '@';
    }
    out += formatHost(uri.host, uri.hostKind);
    if (uri.port !== undefined) out += ':' + uri.port;
    out += formatParams(uri.params);
    if (uri.headers.length > 0) out += '?' + uri.headers.map(([n, v]) => `${n}=${v}`).join('&');
    return out;
  }
  if (isTelUri(uri)) return 'tel:' + uri.number + formatParams(uri.params);
  return uri.scheme + ':' + uri.opaque;
}
