// SIP, SIPS and tel URIs (RFC 3261 19.1, 25.1; RFC 3966); other absolute URIs are kept opaque.

import { codesOf, findCode } from './codes.js';
import { badRequest } from './errors.js';
import { classifyHostAt, classifyHostRun, formatHost, hostRunKind, parsePort, type HostKind } from './host.js';
import { CHARS, commonParamName, isEscapedText, lowerCase, scanEscaped } from './scan.js';

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
  return parseUriAt(text, codesOf(text), 0, text.length);
}

/**
 * Parses the URI text[start, end), whose char codes are b (see codes.ts). Header parsers pass the flat
 * message text with offsets rather than a slice. Nothing outside the range is read.
 */
export function parseUriAt(text: string, b: Buffer, start: number, end: number): Uri {
  // Nearly every URI is sip: or sips:, recognised without slicing and lower-casing the scheme.
  const sip = sipSchemeEnd(b, start, end);
  if (sip === 3) return parseSipUri(text, b, start + 4, end, 'sip');
  if (sip === 4) return parseSipUri(text, b, start + 5, end, 'sips');
  const colon = schemeEnd(b, start, end);
  if (colon <= start) throw badRequest('malformed URI (missing scheme)');
  const scheme = text.slice(start, colon).toLowerCase();
  if (scheme === 'tel') return parseTelUri(text, b, colon + 1, end);
  return parseOtherUri(text, b, colon + 1, end, scheme);
}

/** 3 for `sip:`, 4 for `sips:` (any case) at start, -1 otherwise. */
function sipSchemeEnd(b: Buffer, start: number, end: number): number {
  if (end - start < 4) return -1;
  if ((b[start] | 0x20) !== 115 || (b[start + 1] | 0x20) !== 105 || (b[start + 2] | 0x20) !== 112) return -1;
  const c = b[start + 3];
  if (c === 58) return 3;
  return (c | 0x20) === 115 && end - start > 4 && b[start + 4] === 58 ? 4 : -1;
}

/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986 3.1); index of the colon, -1 without one. */
function schemeEnd(b: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === 58) return i;
    const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!alpha && (i === start || !((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46))) return -1;
  }
  return -1;
}

function parseSipUri(text: string, b: Buffer, start: number, end: number, scheme: 'sip' | 'sips'): SipUri {
  let i = start;
  let user: string | undefined;
  let password: string | undefined;
  // '@' may appear neither in the host, the parameters nor the headers, so the first one ends the userinfo.
  const at = text.indexOf('@', start);
  if (at !== -1 && at < end) {
    // The user part ends at the first ':' (a password follows) or at the '@'; ':' is not a user char.
    const userEnd = scanEscaped(b, start, at, CHARS.USER);
    if (userEnd === start || (userEnd !== at && b[userEnd] !== 58)) {
      throw badRequest('malformed URI (bad user part)');
    }
    user = text.slice(start, userEnd);
    if (userEnd < at) {
      if (!isEscapedText(b, userEnd + 1, at, CHARS.PASSWORD)) throw badRequest('malformed URI (bad password)');
      password = text.slice(userEnd + 1, at);
    }
    i = at + 1;
  }
  let host: string;
  let hostKind: HostKind | undefined;
  if (i < end && b[i] === 91) {
    const close = text.indexOf(']', i);
    if (close === -1 || close >= end) throw badRequest('malformed URI (unterminated IPv6 reference)');
    host = text.slice(i + 1, close);
    hostKind = classifyHostAt(text, b, i + 1, close) === 'ipv6' ? 'ipv6' : undefined;
    i = close + 1;
  } else {
    const hostStart = i;
    i = classifyHostRun(b, hostStart, end);
    hostKind = hostRunKind;
    if (i < end && b[i] !== 58 && b[i] !== 59 && b[i] !== 63) {
      // A char no hostname has: the host runs on to the next delimiter, and is told apart as a whole.
      while (i < end) {
        const c = b[i];
        if (c === 58 || c === 59 || c === 63) break;
        i++;
      }
      hostKind = classifyHostAt(text, b, hostStart, i);
    }
    host = text.slice(hostStart, i);
    // RFC 5118 4.2: an IPv6 address must be bracketed. A port followed by the end, ';' or '?' cannot be one.
    if (i < end && b[i] === 58) {
      let k = i + 1;
      while (k < end && b[k] >= 48 && b[k] <= 57) k++;
      const next = k < end && b[k] !== 59 && b[k] !== 63 ? findCode(b, 58, i + 1, end) : -1;
      if (next !== -1 && !/[;?]/.test(text.slice(i, next))) {
        throw badRequest('malformed URI (IPv6 address without [])');
      }
    }
  }
  if (hostKind === undefined) throw badRequest('malformed URI (bad host)');
  let port: number | undefined;
  if (i < end && b[i] === 58) {
    const portStart = i + 1;
    i = portStart;
    while (i < end && b[i] !== 59 && b[i] !== 63) i++;
    port = parsePort(b, portStart, i);
    if (port < 0) throw badRequest('malformed URI (bad port)');
  }
  const paramsStart = i;
  i = parseUriParams(text, b, i, end, undefined, true);
  const paramsEnd = i;
  const headers: Array<[string, string]> = [];
  if (i < end && b[i] === 63) i = parseUriHeaders(text, b, i + 1, end, headers);
  if (i !== end) throw badRequest('malformed URI (unexpected character)');
  const uri: SipUri = new ParsedSipUri(scheme, host, hostKind, headers, text, b, paramsStart, paramsEnd);
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  return uri;
}

/**
 * A parsed sip: or sips: URI. Its parameters, checked while parsing, stay a range of the text until
 * `params` is read: most URIs' parameters are never read as a Map, and a Map per URI was a measurable
 * share of a full parse.
 */
class ParsedSipUri implements SipUri {
  scheme: 'sip' | 'sips';
  declare user?: string;
  declare password?: string;
  host: string;
  hostKind: HostKind;
  declare port?: number;
  headers: Array<[string, string]>;
  #params: Map<string, string | null> | undefined = undefined;
  readonly #text: string;
  readonly #b: Buffer;
  readonly #start: number;
  readonly #end: number;

  constructor(
    scheme: 'sip' | 'sips',
    host: string,
    hostKind: HostKind,
    headers: Array<[string, string]>,
    text: string,
    b: Buffer,
    start: number,
    end: number,
  ) {
    this.scheme = scheme;
    this.host = host;
    this.hostKind = hostKind;
    this.headers = headers;
    this.#text = text;
    this.#b = b;
    this.#start = start;
    this.#end = end;
  }

  get params(): Map<string, string | null> {
    let params = this.#params;
    if (params === undefined) {
      params = new Map();
      parseUriParams(this.#text, this.#b, this.#start, this.#end, params, true);
      this.#params = params;
    }
    return params;
  }

  set params(params: Map<string, string | null>) {
    this.#params = params;
  }
}

/**
 * `*( ";" pname [ "=" pvalue ] )` in text[i, end); returns the index after the last parameter.
 * Without `out` the parameters are only checked.
 */
function parseUriParams(
  text: string,
  b: Buffer,
  i: number,
  end: number,
  out: Map<string, string | null> | undefined,
  sip: boolean,
): number {
  while (i < end && b[i] === 59) {
    const nameStart = i + 1;
    // ';', '=' and '?' are not param chars: the scan stops at the delimiter or at the first bad char.
    let j = scanEscaped(b, nameStart, end, CHARS.PARAM);
    if (j === nameStart || !endsParam(b, j, end, sip, true)) throw badRequest('malformed URI (bad parameter)');
    const nameEnd = j;
    let value: string | null = null;
    if (j < end && b[j] === 61) {
      const valueStart = j + 1;
      j = scanEscaped(b, valueStart, end, CHARS.PARAM);
      if (j === valueStart || !endsParam(b, j, end, sip, false)) {
        throw badRequest('malformed URI (bad parameter value)');
      }
      if (out !== undefined) value = text.slice(valueStart, j);
    }
    if (out !== undefined) {
      const name = commonParamName(b, nameStart, nameEnd) ?? lowerCase(text.slice(nameStart, nameEnd));
      if (!out.has(name)) out.set(name, value);
    }
    i = j;
  }
  return i;
}

/** True when text[j] may end a parameter name (or value): the end, ';', '=' (names only), '?' (sip). */
function endsParam(b: Buffer, j: number, end: number, sip: boolean, name: boolean): boolean {
  if (j === end) return true;
  const c = b[j];
  return c === 59 || (name && c === 61) || (sip && c === 63);
}

/** headers = hname "=" hvalue *( "&" hname "=" hvalue ) (RFC 3261 25.1), in text[i, end). */
function parseUriHeaders(text: string, b: Buffer, i: number, end: number, out: Array<[string, string]>): number {
  for (;;) {
    let amp = text.indexOf('&', i);
    if (amp === -1 || amp > end) amp = end;
    const eq = text.indexOf('=', i);
    if (eq === -1 || eq > amp || eq === i) throw badRequest('malformed URI (bad header)');
    if (!isEscapedText(b, i, eq, CHARS.HNV) || !isEscapedText(b, eq + 1, amp, CHARS.HNV)) {
      throw badRequest('malformed URI (bad header)');
    }
    out.push([text.slice(i, eq), text.slice(eq + 1, amp)]);
    if (amp === end) return end;
    i = amp + 1;
  }
}

/** tel URI (RFC 3966 3): the number up to the first ';', then parameters. */
function parseTelUri(text: string, b: Buffer, start: number, end: number): TelUri {
  let i = start;
  while (i < end && b[i] !== 59) {
    const c = b[i];
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) ||
      c === 42 || c === 35 || c === 43 || c === 45 || c === 46 || c === 40 || c === 41;
    if (!ok) throw badRequest('malformed URI (bad telephone number)');
    i++;
  }
  if (i === start) throw badRequest('malformed URI (empty telephone number)');
  const number = text.slice(start, i);
  const params = new Map<string, string | null>();
  i = parseUriParams(text, b, i, end, params, false);
  if (i !== end) throw badRequest('malformed URI (unexpected character)');
  return { scheme: 'tel', number, params };
}

/** Any other scheme: kept opaque; whether it is supported is the UAS's decision (RFC 3261 8.2.2.1, 416). */
function parseOtherUri(text: string, b: Buffer, start: number, end: number, scheme: string): OtherUri {
  if (start === end) throw badRequest('malformed URI (empty)');
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c <= 32 || c === 127 || c === 34 || c === 60 || c === 62) throw badRequest('malformed URI (bad character)');
  }
  return { scheme, opaque: text.slice(start, end) };
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
