// Message parsing from one datagram or one framed stream message (RFC 3261 7, 18.3).
// The start line and header lines are framed eagerly; header values are parsed lazily by SipMessage.

import { isAscii, isUtf8 } from 'node:buffer';
import { codesOf, skipSpaces, trimSpaces } from './codes.js';
import { badRequest, SipParseError } from './errors.js';
import { lookupName, matchKnownName, SLOT, type MatchedName } from './header-names.js';
import { DEFAULT_LIMITS, type ParseLimits } from './limits.js';
import { newFieldIndex, noteField, SipMessage, type FieldIndex, type StoredField } from './message.js';
import { skipWs, tokenEnd, trimEndWs } from './scan.js';
import { isSipUri, parseUriAt } from './uri.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

interface StartLine {
  kind: 'request' | 'response';
  a: string;
  b: string | number;
  /** Where the Request-URI lies in the header text. */
  uriStart: number;
  uriEnd: number;
  /** Deferred until the headers are framed, so that the error can carry a partial message. */
  error?: SipParseError;
  checkUri: boolean;
}

/**
 * Parses one message. Never throws: a malformed message yields a SipParseError whose `partial`
 * holds what could be framed. Datagram rules (RFC 3261 18.3): octets beyond Content-Length are
 * ignored; without Content-Length the body runs to the end of the buffer.
 */
export function parseMessage(data: Buffer, limits: ParseLimits = DEFAULT_LIMITS): SipMessage | SipParseError {
  try {
    return parse(data, limits);
  } catch (err) {
    return err instanceof SipParseError ? err : badRequest('unparseable message');
  }
}

/**
 * RFC 3261 21.5.14: a request over the size limit is answered 513, and that answer needs the
 * request's Via, From, To, Call-ID and CSeq. The buffer is already in memory (a datagram, or a
 * stream message the framer bounded), so its header section is framed anyway, body left out.
 */
function tooLarge(data: Buffer, limits: ParseLimits): SipParseError {
  const headEnd = data.indexOf(CRLFCRLF);
  const head = data.subarray(0, headEnd === -1 ? data.length : headEnd + 4);
  const framed = parse(head, { ...limits, maxMessageSize: Number.POSITIVE_INFINITY });
  const partial = framed instanceof SipParseError ? framed.partial : framed;
  return new SipParseError(513, 'Message Too Large', partial);
}

/**
 * Messages up to this size that are pure ASCII are decoded whole as latin1 (equal to UTF-8 for ASCII)
 * and their blank line is found in the string: one native decode and string searches are cheaper than
 * Buffer.indexOf plus a UTF-8 decode. Above it, the body would be decoded and kept for nothing.
 */
const WHOLE_TEXT_LIMIT = 4096;

/**
 * The header section as text: text[0, headEnd) is the start line and header lines; the body starts at
 * bodyStart. `codes` holds text's char codes for the typed parsers (see codes.ts).
 */
interface HeaderText {
  text: string;
  codes: Buffer;
  headEnd: number;
  bodyStart: number;
  binary: boolean;
}

/**
 * The usual message: ASCII, no CRLF before the start line. The header section ends at the first
 * CRLFCRLF, else the first LFLF, else at the end of the buffer without its trailing CR/LF.
 */
function asciiHeaderText(data: Buffer): HeaderText | undefined {
  if (data.length > WHOLE_TEXT_LIMIT || data[0] === 13 || data[0] === 10 || !isAscii(data)) return undefined;
  // The octets are the char codes of their latin1 text.
  const text = data.toString('latin1');
  let headEnd = text.indexOf('\r\n\r\n');
  if (headEnd !== -1) return { text, codes: data, headEnd, bodyStart: headEnd + 4, binary: false };
  headEnd = text.indexOf('\n\n');
  if (headEnd !== -1) return { text, codes: data, headEnd, bodyStart: headEnd + 2, binary: false };
  headEnd = data.length;
  while (headEnd > 0 && (data[headEnd - 1] === 10 || data[headEnd - 1] === 13)) headEnd--;
  return { text, codes: data, headEnd, bodyStart: data.length, binary: false };
}

/** Any other message: the header section decoded alone, as UTF-8 when valid and as latin1 otherwise. */
function headerText(data: Buffer): HeaderText | undefined {
  let start = 0;
  // RFC 3261 7.5: CRLFs before the start line are ignored.
  while (start < data.length && (data[start] === 13 || data[start] === 10)) start++;
  if (start === data.length) return undefined;
  let headEnd = data.indexOf(CRLFCRLF, start);
  let bodyStart: number;
  if (headEnd !== -1) {
    bodyStart = headEnd + 4;
  } else {
    headEnd = data.indexOf(LFLF, start);
    if (headEnd !== -1) {
      bodyStart = headEnd + 2;
    } else {
      headEnd = data.length;
      while (headEnd > start && (data[headEnd - 1] === 10 || data[headEnd - 1] === 13)) headEnd--;
      bodyStart = data.length;
    }
  }
  let text = data.toString('utf8', start, headEnd);
  let binary = false;
  // Invalid UTF-8 would not survive a round trip: keep such headers as latin1, one char per octet.
  if (text.indexOf('\uFFFD') !== -1 && !isUtf8(data.subarray(start, headEnd))) {
    text = data.toString('latin1', start, headEnd);
    binary = true;
  }
  return { text, codes: codesOf(text), headEnd: text.length, bodyStart, binary };
}

function parse(data: Buffer, limits: ParseLimits): SipMessage | SipParseError {
  if (data.length > limits.maxMessageSize) return tooLarge(data, limits);
  const head = asciiHeaderText(data) ?? headerText(data);
  if (head === undefined) return badRequest('empty message');
  const { text, codes, bodyStart, binary } = head;
  // Header lines are read in text[0, len): the text may go on with the body.
  const len = head.headEnd;

  let eol = text.indexOf('\n');
  if (eol === -1 || eol > len) eol = len;
  const firstEnd = eol > 0 && codes[eol - 1] === 13 ? eol - 1 : eol;
  if (firstEnd > limits.maxLineLength) return badRequest('start line too long');
  const sl = parseStartLine(text, codes, firstEnd);
  const firstCr = text.indexOf('\r');
  if (firstCr !== -1 && firstCr < firstEnd) return badRequest('malformed start line (bare CR)');

  const fields: StoredField[] = [];
  const index = newFieldIndex();
  let clValue: string | undefined;
  let clDuplicate = false;
  let pos = eol + 1;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1 || nl > len) nl = len;
    let folded = false;
    // LWS continuation (RFC 3261 7.3.1): a line starting with SP or HT continues the previous one.
    while (nl + 1 < len && (codes[nl + 1] === 32 || codes[nl + 1] === 9)) {
      folded = true;
      nl = text.indexOf('\n', nl + 1);
      if (nl === -1 || nl > len) nl = len;
    }
    const lineEnd = nl > pos && codes[nl - 1] === 13 ? nl - 1 : nl;
    if (lineEnd - pos > limits.maxLineLength) return withPartial(badRequest('header line too long'), sl, fields, binary);
    // header-name HCOLON (RFC 3261 7.3.1): a token, SP/HT, the colon. Any other line is an error, told apart below.
    const nameEnd = tokenEnd(codes, pos, lineEnd);
    let colon = skipSpaces(codes, nameEnd, lineEnd);
    let name: MatchedName | undefined;
    if (nameEnd > pos && colon < lineEnd && codes[colon] === 58) {
      name = matchKnownName(text, codes, pos, nameEnd) ?? unknownName(text.slice(pos, nameEnd));
    } else {
      colon = text.indexOf(':', pos);
      if (colon === -1 || colon > lineEnd) {
        return withPartial(badRequest('malformed header line (missing colon)'), sl, fields, binary);
      }
      return withPartial(badRequest('malformed header name'), sl, fields, binary);
    }
    const { rawName, info } = name;
    const vStart = skipSpaces(codes, colon + 1, lineEnd);
    const vEnd = folded ? lineEnd : trimSpaces(codes, vStart, lineEnd);
    const value = folded ? unfold(text.slice(vStart, vEnd)) : text.slice(vStart, vEnd);
    // RFC 3261 25.1: CR appears only in CRLF; a bare one would be a line break to the next hop.
    const cr = folded ? value.indexOf('\r') : text.indexOf('\r', pos);
    if (folded ? cr !== -1 : cr !== -1 && cr < lineEnd) {
      return withPartial(badRequest('malformed header line (bare CR)'), sl, fields, binary);
    }
    // A folded value differs from its text: typed parsers then read the unfolded value itself.
    const source = folded ? value : text;
    const start = folded ? 0 : vStart;
    const end = folded ? value.length : vEnd;
    const fieldCodes = folded ? undefined : codes;
    const field: StoredField = info.known
      ? { name: info.name, rawName, value, source, start, end, codes: fieldCodes }
      : { name: info.name, rawName, value, source, start, end, codes: fieldCodes, raw: text.slice(pos, lineEnd) };
    fields.push(field);
    if (info.slot >= 0) noteField(index, info.slot, fields.length - 1);
    if (info.slot === SLOT.contentLength) {
      if (clValue !== undefined && clValue !== value) clDuplicate = true;
      clValue = value;
    }
    if (fields.length > limits.maxHeaders) return withPartial(badRequest('too many headers'), sl, fields, binary);
    pos = nl + 1;
  }

  const msg = build(sl, fields, binary, index);
  if (sl.error !== undefined) {
    if (msg !== undefined) sl.error.partial = msg;
    return sl.error;
  }
  if (msg === undefined) return badRequest('malformed start line');
  if (sl.checkUri) {
    const uriError = checkRequestUri(msg, text, codes, sl.uriStart, sl.uriEnd);
    if (uriError !== undefined) {
      uriError.partial = msg;
      return uriError;
    }
  }
  let bodyEnd = data.length;
  if (clDuplicate) return withMessage(badRequest('multiple Content-Length headers'), msg);
  if (clValue !== undefined) {
    const cl = contentLengthOf(clValue);
    if (cl < 0) return withMessage(badRequest('malformed Content-Length header'), msg);
    if (bodyStart + cl > data.length) return withMessage(badRequest('Content-Length larger than message'), msg);
    bodyEnd = bodyStart + cl;
  }
  if (bodyEnd > bodyStart) msg.body = data.subarray(bodyStart, bodyEnd);
  return msg;
}

/** A header name token that is not a known spelling, with its canonical form. */
function unknownName(rawName: string): MatchedName {
  return { rawName, info: lookupName(rawName) };
}

function contentLengthOf(v: string): number {
  if (v.length === 0 || v.length > 10) return -1;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + c - 48;
  }
  return n;
}

function unfold(s: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const nl = s.indexOf('\n', i);
    if (nl === -1) {
      out += s.slice(i);
      break;
    }
    let e = nl > i && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    e = trimEndWs(s, i, e);
    out += s.slice(i, e) + ' ';
    i = skipWs(s, nl + 1);
  }
  return out.trim();
}

function isVersion(s: string): boolean {
  if (s.length < 7 || s.slice(0, 4).toUpperCase() !== 'SIP/') return false;
  const dot = s.indexOf('.', 4);
  if (dot < 5 || dot === s.length - 1) return false;
  for (let i = 4; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (i !== dot && (c < 48 || c > 57)) return false;
  }
  return true;
}

function versionError(version: string): SipParseError | undefined {
  if (version === 'SIP/2.0' || version.toUpperCase() === 'SIP/2.0') return undefined;
  return isVersion(version)
    ? new SipParseError(505, 'Version Not Supported')
    : badRequest('malformed SIP-Version');
}

/** `SIP/2.0` exactly at b[start, end): the version nearly every message has, told without a slice. */
function isSip20(b: Buffer, start: number, end: number): boolean {
  return end - start === 7 && b[start] === 83 && b[start + 1] === 73 && b[start + 2] === 80 && b[start + 3] === 47 &&
    b[start + 4] === 50 && b[start + 5] === 46 && b[start + 6] === 48;
}

/** The start line text[0, end), whose char codes are b. */
function parseStartLine(text: string, b: Buffer, end: number): StartLine {
  if (end >= 4 && b[3] === 47 && text.slice(0, 4).toUpperCase() === 'SIP/') return parseStatusLine(text, end);
  // Request-Line = Method SP Request-URI SP SIP-Version CRLF (RFC 3261 7.1): exactly one SP each.
  // Trailing whitespace is tolerated (RFC 4475 3.1.2.10 allows accepting it).
  end = trimSpaces(b, 0, end);
  const sp1 = text.indexOf(' ', 0);
  if (sp1 <= 0 || sp1 >= end) {
    return { kind: 'request', a: '', b: '', uriStart: 0, uriEnd: 0, checkUri: false, error: badRequest('malformed Request-Line') };
  }
  const method = text.slice(0, sp1);
  let sp2 = end - 1;
  while (sp2 >= 0 && b[sp2] !== 32) sp2--;
  const uri = text.slice(sp1 + 1, sp2);
  const sl: StartLine = { kind: 'request', a: method, b: uri, uriStart: sp1 + 1, uriEnd: sp2, checkUri: true };
  if (tokenEnd(b, 0, sp1) !== sp1) {
    sl.error = badRequest('malformed Request-Line (bad method)');
  } else if (sp2 <= sp1) {
    sl.error = badRequest('malformed Request-Line (missing SIP-Version)');
  } else if (uri.length === 0 || uri.charCodeAt(0) === 32 || uri.charCodeAt(uri.length - 1) === 32) {
    sl.error = badRequest('malformed Request-Line (extra whitespace)');
  } else if (!isSip20(b, sp2 + 1, end)) {
    sl.error = versionError(text.slice(sp2 + 1, end));
  }
  if (sl.error !== undefined) sl.checkUri = false;
  return sl;
}

/** Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF (RFC 3261 7.2). */
function parseStatusLine(text: string, end: number): StartLine {
  const sp1 = text.indexOf(' ');
  const bad = (detail: string): StartLine =>
    ({ kind: 'response', a: '', b: 0, uriStart: 0, uriEnd: 0, checkUri: false, error: badRequest(detail) });
  if (sp1 === -1 || sp1 >= end) return bad('malformed Status-Line');
  let i = sp1 + 1;
  let status = 0;
  while (i < end && i - sp1 <= 4) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    status = status * 10 + c - 48;
    i++;
  }
  if (i - sp1 - 1 !== 3 || status < 100 || status > 699 || (i < end && text.charCodeAt(i) !== 32)) {
    return bad('malformed Status-Line (bad status code)');
  }
  const reason = i < end ? text.slice(i + 1, end) : '';
  const sl: StartLine = { kind: 'response', a: reason, b: status, uriStart: 0, uriEnd: 0, checkUri: false };
  const err = versionError(text.slice(0, sp1));
  if (err !== undefined) sl.error = err;
  return sl;
}

function build(sl: StartLine, fields: StoredField[], binary: boolean, index?: FieldIndex): SipMessage | undefined {
  if (sl.kind === 'response' && sl.b === 0) return undefined;
  if (sl.kind === 'request' && sl.a === '') return undefined;
  return new SipMessage(sl.kind, sl.a, sl.b, fields, undefined, binary, index);
}

function withPartial(err: SipParseError, sl: StartLine, fields: StoredField[], binary: boolean): SipParseError {
  const msg = build(sl, fields, binary);
  if (msg !== undefined) err.partial = msg;
  return err;
}

function withMessage(err: SipParseError, msg: SipMessage): SipParseError {
  err.partial = msg;
  return err;
}

/**
 * The Request-URI text[start, end) (char codes b) is parsed eagerly: a broken one is answered with 400
 * (RFC 3261 8.2.1 needs it).
 */
function checkRequestUri(msg: SipMessage, text: string, b: Buffer, start: number, end: number): SipParseError | undefined {
  if (b[start] === 60) return badRequest('malformed Request-URI (enclosed in <>)');
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === 32 || c === 9) return badRequest('malformed Request-URI (contains whitespace)');
  }
  try {
    const uri = parseUriAt(text, b, start, end);
    // RFC 3261 19.1.1 table 1: headers are not allowed in a Request-URI (RFC 4475 3.1.2.11).
    if (isSipUri(uri) && uri.headers.length > 0) return badRequest('malformed Request-URI (contains escaped headers)');
    msg.setParsedUri(uri);
    return undefined;
  } catch (err) {
    const inner = err instanceof SipParseError ? err.reason.replace(/^Bad Request \((.*)\)$/, '$1') : 'unparseable';
    return badRequest(`malformed Request-URI: ${inner}`);
  }
}
