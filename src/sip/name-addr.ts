// name-addr / addr-spec with header parameters (RFC 3261 20.10, 25.1): From, To, Contact, Route...

import { codesOf, findCode, skipSpaces, trimSpaces } from './codes.js';
import { badRequest, inHeader } from './errors.js';
import { findListEnd, parseParams, quote, quotedEnd, scanToken, tokenEnd, unquote } from './scan.js';
import { formatUri, isSipUri, parseUriAt, type Uri } from './uri.js';

export interface NameAddr {
  displayName?: string;
  uri: Uri;
  /** Header parameters (tag, q, expires, ...): lower-cased names, values as written. */
  params: Map<string, string | null>;
}

/**
 * Parses one name-addr or addr-spec followed by header parameters. `what` names the header for
 * error reasons. The whole text must be consumed.
 */
export function parseNameAddr(text: string, what = 'name-addr'): NameAddr {
  return parseNameAddrAt(text, codesOf(text), 0, text.length, what);
}

/**
 * parseNameAddr on text[start, end), whose char codes are b: the message text with offsets, so that
 * no slice is scanned.
 */
export function parseNameAddrAt(text: string, b: Buffer, start: number, end: number, what: string): NameAddr {
  let i = skipSpaces(b, start, end);
  let displayName: string | undefined;
  let angle = false;
  const c = i < end ? b[i] : -1;
  if (c === 34) {
    const q = quotedEnd(b, i, end);
    if (q === -1) throw badRequest(`malformed ${what} header (unbalanced quotes)`);
    displayName = unquoteAt(text, b, i, q);
    i = skipSpaces(b, q, end);
    if (i === end || b[i] !== 60) throw badRequest(`malformed ${what} header (display name without <URI>)`);
    angle = true;
  } else if (c === 60) {
    angle = true;
  } else {
    // display-name as *(token LWS): a '<' after tokens makes it a name-addr; anything else an addr-spec.
    let j = i;
    for (;;) {
      const k = tokenEnd(b, j, end);
      if (k === j) break;
      j = skipSpaces(b, k, end);
    }
    if (j > i && j < end && b[j] === 60) {
      displayName = text.slice(i, trimSpaces(b, i, j));
      i = j;
      angle = true;
    }
  }
  let uri: Uri;
  if (angle) {
    const close = text.indexOf('>', i);
    if (close === -1 || close >= end) throw badRequest(`malformed ${what} header (missing >)`);
    if (close === i + 1 || !isTrimmed(text, b, i + 1, close)) {
      // RFC 3261 25.1: LAQUOT and RAQUOT allow LWS only outside the brackets (RFC 4475 3.1.2.14).
      throw badRequest(`malformed ${what} header (whitespace inside <>)`);
    }
    uri = uriIn(text, b, i + 1, close, what);
    i = close + 1;
  } else {
    const specStart = i;
    while (i < end) {
      const ch = b[i];
      if (ch === 59 || ch === 32 || ch === 9) break;
      i++;
    }
    if (contains(text, '<', specStart, end)) {
      // RFC 3261 25.1: a display name with characters other than tokens must be quoted (RFC 4475 3.1.2.15).
      throw badRequest(`malformed ${what} header (unquoted display name with special characters)`);
    }
    if (i === specStart) throw badRequest(`malformed ${what} header (missing URI)`);
    uri = uriIn(text, b, specStart, i, what);
    // RFC 3261 20.10: a URI with a comma, question mark or semicolon must be enclosed in <>.
    if (contains(text, '?', specStart, i) || contains(text, ',', specStart, i) || (isSipUri(uri) && uri.headers.length > 0)) {
      throw badRequest(`malformed ${what} header (URI with ? or , must be enclosed in <>)`);
    }
  }
  const paramsStart = i;
  i = parseParams(text, b, i, undefined, what, end);
  if (i !== end) throw badRequest(`malformed ${what} header (unexpected comma)`);
  const na: NameAddr = new ParsedNameAddr(uri, text, b, paramsStart, end);
  if (displayName !== undefined) na.displayName = displayName;
  return na;
}

/**
 * A parsed name-addr. Its header parameters, checked while parsing (the typed ones read through
 * paramValue), stay a range of the message text until `params` is read: most are never read as a
 * Map, and a Map per header was a measurable share of a full parse. ParsedSipUri and ParsedVia repeat
 * this getter on purpose: one base class for the three made a full REGISTER parse about 9% slower
 * (1.77x against 1.95x the sip package in alternating runs).
 */
class ParsedNameAddr implements NameAddr {
  declare displayName?: string;
  uri: Uri;
  #params: Map<string, string | null> | undefined = undefined;
  readonly #text: string;
  readonly #b: Buffer;
  readonly #start: number;
  readonly #end: number;

  constructor(uri: Uri, text: string, b: Buffer, start: number, end: number) {
    this.uri = uri;
    this.#text = text;
    this.#b = b;
    this.#start = start;
    this.#end = end;
  }

  get params(): Map<string, string | null> {
    let params = this.#params;
    if (params === undefined) {
      params = new Map();
      parseParams(this.#text, this.#b, this.#start, params, 'name-addr', this.#end);
      this.#params = params;
    }
    return params;
  }

  set params(params: Map<string, string | null>) {
    this.#params = params;
  }
}

/** True when `ch` occurs in text[start, end) (a native search). */
function contains(text: string, ch: string, start: number, end: number): boolean {
  const at = text.indexOf(ch, start);
  return at !== -1 && at < end;
}

/** The content of the quoted-string text[start, end) (char codes b), sliced once when it has no quoted-pair. */
function unquoteAt(text: string, b: Buffer, start: number, end: number): string {
  return findCode(b, 92, start + 1, end - 1) === -1 ? text.slice(start + 1, end - 1) : unquote(text.slice(start, end));
}

/** text[start, end).trim() has the same length, deciding on the end characters alone when they are printable ASCII. */
function isTrimmed(text: string, b: Buffer, start: number, end: number): boolean {
  const first = b[start];
  const last = b[end - 1];
  if (first > 32 && first < 127 && last > 32 && last < 127) return true;
  const s = text.slice(start, end);
  return s.trim().length === s.length;
}

function uriIn(text: string, b: Buffer, start: number, end: number, what: string): Uri {
  try {
    return parseUriAt(text, b, start, end);
  } catch (err) {
    throw inHeader(err, what);
  }
}

/** A comma-separated list of name-addrs (Route, Record-Route, Path, Contact). */
export function parseNameAddrList(text: string, what = 'name-addr'): NameAddr[] {
  const out: NameAddr[] = [];
  const b = codesOf(text);
  let i = 0;
  while (i <= text.length) {
    const j = findListEnd(text, i);
    if (text.slice(i, j).trim().length === 0) throw badRequest(`malformed ${what} header (empty list element)`);
    out.push(parseNameAddrAt(text, b, i, j, what));
    i = j + 1;
  }
  return out;
}

/** Display names that are not a plain token sequence are quoted. */
function formatDisplayName(name: string): string {
  const tokens = name.split(' ');
  const plain = tokens.every((t) => t.length > 0 && scanToken(t, 0) === t.length);
  return plain ? name : quote(name);
}

export function formatParams(params: Map<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}

/** Always the name-addr form: brackets keep URI parameters apart from header parameters. */
export function formatNameAddr(na: NameAddr): string {
  const dn = na.displayName !== undefined && na.displayName.length > 0 ? formatDisplayName(na.displayName) + ' ' : '';
  return `${dn}<${formatUri(na.uri)}>${formatParams(na.params)}`;
}
