// Contact (RFC 3261 20.10; RFC 5626 4.2 +sip.instance and reg-id; RFC 3840 methods).

import { badRequest } from '../errors.js';
import { parseNameAddrAt, type NameAddr } from '../name-addr.js';
import { codesOf, skipSpaces } from '../codes.js';
import { findListEnd, PARAM, paramsSeen, paramValue, parseUint, unquote } from '../scan.js';
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
  return parseContactAt(text, codesOf(text), 0, text.length);
}

/** The parameters with a typed field of their own. */
const TYPED = PARAM.q | PARAM.expires | PARAM['+sip.instance'] | PARAM['reg-id'] | PARAM.methods;

/**
 * parseContact on text[start, end) of the message text, whose char codes are b. paramsSeen, read
 * right after the name-addr's parameters, says which typed parameters are there.
 */
function parseContactAt(text: string, b: Buffer, start: number, end: number): Contact {
  const na: Contact = parseNameAddrAt(text, b, start, end, 'Contact');
  const seen = paramsSeen;
  if ((seen & TYPED) === 0) return na;
  const q = (seen & PARAM.q) !== 0 ? paramValue(PARAM.q) : undefined;
  if (q !== undefined) {
    if (q === null) fail('q without value');
    na.q = parseQ(q);
  }
  const expires = (seen & PARAM.expires) !== 0 ? paramValue(PARAM.expires) : undefined;
  if (expires !== undefined) {
    const n = expires === null ? -1 : parseUint(expires, MAX_DELTA_SECONDS);
    if (n < 0) fail('bad expires');
    na.expires = n;
  }
  const instance = (seen & PARAM['+sip.instance']) !== 0 ? paramValue(PARAM['+sip.instance']) : undefined;
  if (instance !== undefined && instance !== null) na.instance = unquote(instance);
  const regId = (seen & PARAM['reg-id']) !== 0 ? paramValue(PARAM['reg-id']) : undefined;
  if (regId !== undefined) {
    const n = regId === null ? -1 : parseUint(regId, 0x7fffffff);
    if (n < 1) fail('bad reg-id');
    na.regId = n;
  }
  const methods = (seen & PARAM.methods) !== 0 ? paramValue(PARAM.methods) : undefined;
  if (methods !== undefined && methods !== null) {
    na.methods = unquote(methods).split(',').map((m) => m.trim()).filter((m) => m.length > 0);
  }
  return na;
}

/**
 * A Contact header value text[start, end) (offsets into the message text, char codes b): `*`
 * (RFC 3261 10.2.2) or a list of contacts, each parsed in place.
 */
export function parseContactList(text: string, b: Buffer, start: number, end: number, out: Contact[]): boolean {
  const first = skipSpaces(b, start, end);
  if (first < end && b[first] === 42 && text.slice(start, end).trim() === '*') return true;
  const comma = text.indexOf(',', start);
  if (comma === -1 || comma >= end) {
    out.push(parseContactAt(text, b, start, end));
    return false;
  }
  let i = start;
  while (i <= end) {
    const j = findListEnd(text, i, end);
    if (text.slice(i, j).trim().length === 0) fail('empty list element');
    out.push(parseContactAt(text, b, i, j));
    i = j + 1;
  }
  return false;
}
