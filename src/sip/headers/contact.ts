// Contact (RFC 3261 20.10; RFC 5626 4.2 +sip.instance and reg-id; RFC 3840 methods).

import { badRequest } from '../errors.js';
import { parseNameAddrAt, type NameAddr } from '../name-addr.js';
import { findListEnd, parseUint, skipWs, unquote } from '../scan.js';
import { MAX_DELTA_SECONDS } from './scalars.js';

export interface Contact extends NameAddr {
  q?: number;
  expires?: number;
  /** +sip.instance without its quotes, e.g. `<urn:uuid:...>`. */
  instance?: string;
  regId?: number;
  methods?: string[];
}

function fail(detail: string): never {
  throw badRequest(`malformed Contact header (${detail})`);
}

/** qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 3261 25.1). */
function parseQ(text: string): number {
  const lead = text.charCodeAt(0);
  let ok = (lead === 48 || lead === 49) && text.length <= 5;
  if (ok && text.length > 1) {
    ok = text.charCodeAt(1) === 46;
    for (let i = 2; ok && i < text.length; i++) {
      const c = text.charCodeAt(i);
      ok = lead === 48 ? c >= 48 && c <= 57 : c === 48;
    }
  }
  if (!ok) fail('bad q');
  return Number(text);
}

export function parseContact(text: string): Contact {
  return parseContactAt(text, 0, text.length);
}

/** parseContact on text[start, end) of the message text. */
function parseContactAt(text: string, start: number, end: number): Contact {
  const na: Contact = parseNameAddrAt(text, start, end, 'Contact');
  const p = na.params;
  if (p.size === 0) return na;
  const q = p.get('q');
  if (q !== undefined) {
    if (q === null) fail('q without value');
    na.q = parseQ(q);
  }
  const expires = p.get('expires');
  if (expires !== undefined) {
    const n = expires === null ? -1 : parseUint(expires, MAX_DELTA_SECONDS);
    if (n < 0) fail('bad expires');
    na.expires = n;
  }
  const instance = p.get('+sip.instance');
  if (instance !== undefined && instance !== null) na.instance = unquote(instance);
  const regId = p.get('reg-id');
  if (regId !== undefined) {
    const n = regId === null ? -1 : parseUint(regId, 0x7fffffff);
    if (n < 1) fail('bad reg-id');
    na.regId = n;
  }
  const methods = p.get('methods');
  if (methods !== undefined && methods !== null) {
    na.methods = unquote(methods).split(',').map((m) => m.trim()).filter((m) => m.length > 0);
  }
  return na;
}

/**
 * A Contact header value text[start, end) (offsets into the message text): `*` (RFC 3261 10.2.2) or a
 * list of contacts. A single contact is parsed in place; list elements are sliced (rare).
 */
export function parseContactList(text: string, start: number, end: number, out: Contact[]): boolean {
  const first = skipWs(text, start, end);
  if (first < end && text.charCodeAt(first) === 42 && text.slice(start, end).trim() === '*') return true;
  const comma = text.indexOf(',', start);
  if (comma === -1 || comma >= end) {
    out.push(parseContactAt(text, start, end));
    return false;
  }
  const list = text.slice(start, end);
  let i = 0;
  while (i <= list.length) {
    const j = findListEnd(list, i);
    const part = list.slice(i, j);
    if (part.trim().length === 0) fail('empty list element');
    out.push(parseContact(part));
    i = j + 1;
  }
  return false;
}
