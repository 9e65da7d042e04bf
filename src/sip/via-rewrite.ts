// Rewriting the top Via: received and rport on receipt (RFC 3261 18.2.1, RFC 3581 4).

import { findListEnd } from './scan.js';
import { formatVia, parseVia, type Via } from './headers/via.js';
import type { SipMessage } from './message.js';

/** Values to set on the top Via; null sets a parameter without value, undefined removes it. */
export interface ViaParams {
  received?: string | null;
  rport?: number | null;
  [name: string]: string | number | null | undefined;
}

/**
 * Sets parameters on the topmost via-parm, leaving the others (also those sharing its header line)
 * untouched. Throws SipParseError when the top Via is malformed; does nothing when there is none.
 */
export function setViaParams(message: SipMessage, params: ViaParams): void {
  const first = message.headerFields().findIndex((f) => f.name === 'via');
  if (first === -1) return;
  const value = message.headerFields()[first].value;
  const end = findListEnd(value, 0);
  const via: Via = parseVia(value.slice(0, end));
  for (const [name, v] of Object.entries(params)) applyParam(via, name.toLowerCase(), v);
  message.replaceHeader('via', 0, formatVia(via) + value.slice(end));
}

function applyParam(via: Via, name: string, v: string | number | null | undefined): void {
  switch (name) {
    case 'received':
      if (v === undefined || v === null) delete via.received;
      else via.received = String(v);
      return;
    case 'rport':
      via.rport = v === undefined ? undefined : v === null ? null : Number(v);
      return;
    case 'branch':
      if (v === undefined || v === null) delete via.branch;
      else via.branch = String(v);
      return;
    default:
      if (v === undefined) via.params.delete(name);
      else via.params.set(name, v === null ? null : String(v));
  }
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const COMMA = 0x2c;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/** Lower-cases an ASCII letter code. */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

/** Whether data[start, end) is `name` (lower-case ASCII), ignoring case. */
function isName(data: Buffer, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (lower(data[start + i]) !== name.charCodeAt(i)) return false;
  return true;
}

/**
 * The end of the first via-parm in data[start, end): the index of the comma that ends it (commas
 * inside a quoted-string do not count, RFC 3261 25.1), or `end` when it is the only one.
 */
function firstValueEnd(data: Buffer, start: number, end: number): number {
  let quoted = false;
  for (let i = start; i < end; i++) {
    const c = data[i];
    if (quoted) {
      if (c === BACKSLASH) i++;
      else if (c === DQUOTE) quoted = false;
    } else if (c === DQUOTE) {
      quoted = true;
    } else if (c === COMMA) {
      return i;
    }
  }
  return end;
}

/**
 * RFC 3261 16.7 step 3 on the bytes `data` that `message` was parsed from: the message without its
 * topmost via-parm, every other octet unchanged (the rest is forwarded as it came, 16.7 step 9). A
 * Via line holding only that value goes whole; in a line of several comma-separated values (7.3.1)
 * only the first value and its comma go; the compact form `v` counts as Via (7.3.3).
 *
 * Anything unusual yields undefined, and the caller serializes the message instead: no Content-Length
 * (a stream upstream needs one, 18.3), octets after the body, a header section not ended by CRLFCRLF,
 * a line ending other than CRLF up to the top Via, a folded top Via (7.3.1), or no Via at all. The
 * parser checked Content-Length (single, well-formed, within the datagram), so the lines below the top
 * Via need no second look.
 */
export function removeTopViaBytes(message: SipMessage, data: Buffer): Buffer | undefined {
  if (!message.hasHeader('content-length')) return undefined;
  const headEnd = data.indexOf('\r\n\r\n');
  // The body the parser found ends the datagram and starts right after this blank line.
  if (headEnd === -1 || data.length !== headEnd + 4 + message.body.length) return undefined;
  // Lines after the start line; each ends with CRLF (the last one at headEnd).
  let pos = data.indexOf(LF) + 1;
  if (pos === 0 || data[pos - 2] !== CR) return undefined;
  while (pos <= headEnd) {
    const lf = data.indexOf(LF, pos);
    if (lf === -1 || data[lf - 1] !== CR) return undefined;
    const lineEnd = lf - 1;
    const first = data[pos];
    if (first !== SP && first !== HT) {
      let colon = pos;
      while (colon < lineEnd && data[colon] !== COLON) colon++;
      if (colon === lineEnd) return undefined;
      let nameEnd = colon;
      while (nameEnd > pos && (data[nameEnd - 1] === SP || data[nameEnd - 1] === HT)) nameEnd--;
      if (isName(data, pos, nameEnd, 'via') || isName(data, pos, nameEnd, 'v')) return cutFirstValue(data, pos, colon + 1, lineEnd);
    }
    pos = lf + 1;
  }
  return undefined;
}

/** The Via line data[lineStart, lineEnd) (value after `afterColon`) without its first value. */
function cutFirstValue(data: Buffer, lineStart: number, afterColon: number, lineEnd: number): Buffer | undefined {
  const next = data[lineEnd + 2];
  if (next === SP || next === HT) return undefined; // the top Via is folded
  let value = afterColon;
  while (value < lineEnd && (data[value] === SP || data[value] === HT)) value++;
  const comma = firstValueEnd(data, value, lineEnd);
  // Cut [cutStart, cutEnd): the whole line, or the first value, its comma and the white space after it.
  let cutStart = lineStart;
  let cutEnd = lineEnd + 2;
  if (comma < lineEnd) {
    cutStart = value;
    cutEnd = comma + 1;
    while (cutEnd < lineEnd && (data[cutEnd] === SP || data[cutEnd] === HT)) cutEnd++;
    if (cutEnd === lineEnd) return undefined; // "Via: a," : nothing after the comma
  }
  const out = Buffer.allocUnsafe(data.length - (cutEnd - cutStart));
  data.copy(out, 0, 0, cutStart);
  data.copy(out, cutStart, cutEnd);
  return out;
}

