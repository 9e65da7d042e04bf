// Shared tokenizer helpers for the hand-written header parsers (RFC 3261 25.1 grammar).
// Character classes are bit sets over ASCII built once at module load.

import { skipSpaces } from './codes.js';
import { badRequest } from './errors.js';

const TOKEN = 1;
const UNRESERVED = 2;
const USER = 4;
const PASSWORD = 8;
const PARAM_CHAR = 16;
const HNV = 32;
const HOST = 64;
const WORD = 128;
/** Unquoted header parameter values: token plus ':' '[' ']' (IPv6 references in received, maddr). */
const PVALUE = 256;

/** Indexed by char code; 256 entries so that an octet (see codes.ts) needs no range check. */
const classes = new Uint16Array(256);

function mark(chars: string, bit: number): void {
  for (let i = 0; i < chars.length; i++) classes[chars.charCodeAt(i)] |= bit;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MARK = "-_.!~*'()";
mark(ALNUM + "-.!%*_+`'~", TOKEN);
mark(ALNUM + MARK, UNRESERVED | USER | PASSWORD | PARAM_CHAR | HNV);
mark('&=+$,;?/', USER);
mark('&=+$,', PASSWORD);
mark('[]/:&+$', PARAM_CHAR);
mark('[]/?:+$', HNV);
mark(ALNUM + '-._', HOST);
mark(ALNUM + "-.!%*_+`'~()<>:\\\"/[]?{}", WORD);
mark(ALNUM + "-.!%*_+`'~:[]", PVALUE);

function isClass(c: number, bit: number): boolean {
  return c < 128 && (classes[c] & bit) !== 0;
}

export const isTokenChar = (c: number): boolean => isClass(c, TOKEN);
export const isUnreserved = (c: number): boolean => isClass(c, UNRESERVED);
export const isWordChar = (c: number): boolean => isClass(c, WORD);
export const isHostChar = (c: number): boolean => isClass(c, HOST);
export const CHARS = { USER, PASSWORD, PARAM: PARAM_CHAR, HNV } as const;

export function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isWsp(c: number): boolean {
  return c === 32 || c === 9;
}

/** LWS after unfolding is SP/HT only; CR and LF never survive framing. */
export function skipWs(s: string, i: number, end: number = s.length): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) break;
    i++;
  }
  return i;
}

export function trimEndWs(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c !== 32 && c !== 9) break;
    end--;
  }
  return end;
}

/** True when s[start, end) is 1*token-char. */
export function isToken(s: string, start = 0, end = s.length): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) if (!isClass(s.charCodeAt(i), TOKEN)) return false;
  return true;
}

/** End of the token starting at b[i] (i itself when there is none), over char codes in octets. */
export function tokenEnd(b: Buffer, i: number, end: number): number {
  while (i < end && (classes[b[i]] & TOKEN) !== 0) i++;
  return i;
}

/** End of the token starting at i (i itself when there is none). */
export function scanToken(s: string, i: number, end: number = s.length): number {
  while (i < end && isClass(s.charCodeAt(i), TOKEN)) i++;
  return i;
}

/**
 * True when b[start, end) (char codes) is made of the given class plus `%HH` escapes (RFC 3261 25.1 `escaped`).
 * A `%` not followed by two hex digits is a syntax error.
 */
export function isEscapedText(b: Buffer, start: number, end: number, bit: number): boolean {
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c === 37) {
      if (i + 2 >= end) return false;
      if (!isHexDigit(b[i + 1]) || !isHexDigit(b[i + 2])) return false;
      i += 2;
    } else if ((classes[c] & bit) === 0) {
      return false;
    }
  }
  return true;
}

/**
 * End of the run of the given class plus valid `%HH` escapes starting at b[i] (char codes): the index of the first
 * other character (a delimiter, a bad character or a `%` without two hex digits), or `end`.
 * One pass for scanning and validating, where isEscapedText needs the end known beforehand.
 */
export function scanEscaped(b: Buffer, i: number, end: number, bit: number): number {
  for (; i < end; i++) {
    const c = b[i];
    if ((classes[c] & bit) !== 0) continue;
    if (c !== 37 || i + 2 >= end || !isHexDigit(b[i + 1]) || !isHexDigit(b[i + 2])) return i;
    i += 2;
  }
  return end;
}

/** s.toLowerCase(), without the call when s is lower-case ASCII already (most parameter names). */
export function lowerCase(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c >= 128) return s.toLowerCase();
  }
  return s;
}

/** s.toUpperCase() for a token (ASCII), without the call when s is upper-case already (UDP, TCP, ...). */
export function upperCaseToken(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) return s.toUpperCase();
  }
  return s;
}

/**
 * End of the quoted-string whose opening DQUOTE is at i (index just past the closing DQUOTE),
 * or -1 when it is not closed. quoted-pair (`\x`) escapes any octet but CR and LF (RFC 3261 25.1).
 */
export function scanQuoted(s: string, i: number, end: number = s.length): number {
  // Without a quoted-pair the closing DQUOTE is the next one: found natively, faster than a loop.
  const close = s.indexOf('"', i + 1);
  const pair = s.indexOf('\\', i + 1);
  if (close !== -1 && (pair === -1 || pair > close)) return close < end ? close + 1 : -1;
  for (let j = i + 1; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 92) {
      j++;
    } else if (c === 34) {
      return j + 1;
    }
  }
  return -1;
}

/**
 * scanQuoted over char codes, for short quoted-strings (display names): the index just past the
 * closing DQUOTE of the quoted-string opening at b[i], or -1 when it is not closed before end.
 */
export function quotedEnd(b: Buffer, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    const c = b[j];
    if (c === 34) return j + 1;
    if (c === 92) j++;
  }
  return -1;
}

/** The content of a quoted-string with its quoted-pairs resolved. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 34 || s.charCodeAt(s.length - 1) !== 34) return s;
  const inner = s.slice(1, -1);
  if (inner.indexOf('\\') === -1) return inner;
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '\\' && i + 1 < inner.length) {
      out += inner[i + 1];
      i++;
    } else {
      out += c;
    }
  }
  return out;
}

/** A quoted-string for `text`, escaping DQUOTE and backslash. */
export function quote(text: string): string {
  let out = '"';
  for (const ch of text) out += ch === '"' || ch === '\\' ? '\\' + ch : ch;
  return out + '"';
}

/**
 * Splits a header value on top-level commas: commas inside quoted-strings and inside `<...>`
 * do not separate list elements (RFC 3261 7.3.1). Elements are trimmed; empty ones are kept so
 * that callers can decide whether `a,,b` is an error.
 */
export function splitList(s: string): string[] {
  if (s.indexOf(',') === -1) return [s.trim()];
  const out: string[] = [];
  let start = 0;
  let inAngle = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) {
      const q = scanQuoted(s, i);
      if (q === -1) break;
      i = q - 1;
    } else if (c === 60) {
      inAngle = true;
    } else if (c === 62) {
      inAngle = false;
    } else if (c === 44 && !inAngle) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out;
}

/** Index of the first top-level comma in s[i, end), or end. */
export function findListEnd(s: string, i: number, end: number = s.length): number {
  let inAngle = false;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) {
      const q = scanQuoted(s, i, end);
      if (q === -1) return end;
      i = q - 1;
    } else if (c === 60) {
      inAngle = true;
    } else if (c === 62) {
      inAngle = false;
    } else if (c === 44 && !inAngle) {
      return i;
    }
  }
  return end;
}

/** Parses a non-negative decimal integer of at most `max`; returns -1 when malformed or too big. */
export function parseUint(s: string, max: number, start = 0, end = s.length): number {
  if (end <= start || end - start > 16) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n > max ? -1 : n;
}

/**
 * Parameter names found in nearly every message (RFC 3261 19.1.1, 20.42, 20.10; RFC 3581; RFC 5626;
 * RFC 3840), as string constants: V8 keeps a constant's hash with it, so a Map keyed by one skips
 * hashing, where a freshly sliced name is hashed on its first has/set/get. Each has a bit for
 * paramsSeen.
 */
export const PARAM = {
  tag: 1 << 0, branch: 1 << 1, rport: 1 << 2, received: 1 << 3, maddr: 1 << 4, ttl: 1 << 5, expires: 1 << 6, q: 1 << 7,
  'reg-id': 1 << 8, '+sip.instance': 1 << 9, methods: 1 << 10, transport: 1 << 11, lr: 1 << 12, user: 1 << 13,
  method: 1 << 14, ob: 1 << 15, gr: 1 << 16,
} as const;

function paramKey(length: number, first: number): number {
  return length < 32 && first < 128 ? (length << 7) | (first | 0x20) : -1;
}

/** A common name with its char codes, so that comparing it reads no string. */
interface CommonParam {
  readonly name: string;
  readonly codes: Uint8Array;
  readonly bit: number;
  /** The bit's position: the index of the value in paramValues. */
  readonly index: number;
}

/** The common names by length and first letter (either case): one or two to compare. */
const commonParams: CommonParam[][] = [];
for (const [name, bit] of Object.entries(PARAM)) {
  (commonParams[paramKey(name.length, name.charCodeAt(0))] ??= []).push({ name, codes: Buffer.from(name, 'latin1'), bit, index: 31 - Math.clz32(bit) });
}

/** The common parameter whose name is b[start, end) (char codes) in any case, undefined for others. */
function commonParam(b: Buffer, start: number, end: number): CommonParam | undefined {
  const candidates = commonParams[paramKey(end - start, b[start])];
  if (candidates === undefined) return undefined;
  for (let n = 0; n < candidates.length; n++) {
    const name = candidates[n].codes;
    let k = 0;
    for (; k < name.length; k++) {
      const c = b[start + k];
      const l = name[k];
      // Folding with | 0x20 only for letters: among ASCII only A-Z fold onto a-z.
      if (c !== l && !(l >= 97 && l <= 122 && (c | 0x20) === l)) break;
    }
    if (k === name.length) return candidates[n];
  }
  return undefined;
}

/**
 * The constant equal to the name b[start, end) (char codes) lower-cased when that is a common
 * parameter name, undefined otherwise.
 */
export function commonParamName(b: Buffer, start: number, end: number): string | undefined {
  return commonParam(b, start, end)?.name;
}

/**
 * The PARAM bits of the common names the last parseParams call met: typed header parsers read it
 * right after that call, and look up only the parameters that are there.
 */
export let paramsSeen = 0;

/** The values of the common parameters the last parseParams call met (first occurrence), by bit position. */
const paramValues: Array<string | null> = new Array<string | null>(17).fill(null);

/** The value of the common parameter `bit` (a PARAM constant) that the last parseParams call met; read only when paramsSeen has the bit. */
export function paramValue(bit: number): string | null {
  return paramValues[31 - Math.clz32(bit)];
}

/**
 * Header parameters: `*( SEMI generic-param )` with SWS around `;` and `=` (RFC 3261 25.1), in
 * s[i, end) whose char codes are b. Names are lower-cased; values are kept as written
 * (quoted-strings keep their quotes); a parameter without `=` maps to null. Stops at `end` or at a
 * top-level comma; returns the index. Without `out` the parameters are only checked: the typed
 * parsers read the common ones through paramsSeen and paramValue, and the Map is built when read.
 */
export function parseParams(
  s: string,
  b: Buffer,
  i: number,
  out: Map<string, string | null> | undefined,
  what: string,
  end: number,
): number {
  let seen = 0;
  paramsSeen = 0;
  for (;;) {
    i = skipSpaces(b, i, end);
    if (i >= end || b[i] === 44) {
      paramsSeen = seen;
      return i;
    }
    if (b[i] !== 59) throw badRequest(`malformed ${what} header (unexpected character in parameters)`);
    i = skipSpaces(b, i + 1, end);
    // Scanning the name also tells whether it needs lower-casing (most names are lower-case already).
    let nameEnd = i;
    let upper = false;
    for (; nameEnd < end; nameEnd++) {
      const c = b[nameEnd];
      if ((classes[c] & TOKEN) === 0) break;
      if (c >= 65 && c <= 90) upper = true;
    }
    if (nameEnd === i) throw badRequest(`malformed ${what} header (empty parameter)`);
    const common = commonParam(b, i, nameEnd);
    const nameStart = i;
    i = skipSpaces(b, nameEnd, end);
    let value: string | null = null;
    if (i < end && b[i] === 61) {
      i = skipSpaces(b, i + 1, end);
      const vStart = i;
      if (i < end && b[i] === 34) {
        i = scanQuoted(s, i, end);
        if (i === -1) throw badRequest(`malformed ${what} header (unterminated quoted string)`);
      } else {
        while (i < end && (classes[b[i]] & PVALUE) !== 0) i++;
        if (i === vStart) {
          throw badRequest(`malformed ${what} header (empty value of parameter ${s.slice(nameStart, nameEnd).toLowerCase()})`);
        }
      }
      value = s.slice(vStart, i);
    }
    // The first occurrence wins; a common name's bit tells whether it was seen, without a lookup.
    if (common !== undefined) {
      if ((seen & common.bit) === 0) {
        paramValues[common.index] = value;
        if (out !== undefined) out.set(common.name, value);
      }
      seen |= common.bit;
    } else if (out !== undefined) {
      const name = upper ? s.slice(nameStart, nameEnd).toLowerCase() : s.slice(nameStart, nameEnd);
      if (!out.has(name)) out.set(name, value);
    }
  }
}
