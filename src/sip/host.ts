// Hosts and ports: hostname / IPv4address / IPv6reference (RFC 3261 25.1, RFC 5118).

import { SocketAddress } from 'node:net';
import { codesOf, findCode } from './codes.js';
import { isDigit, isHexDigit, isHostChar } from './scan.js';

export type HostKind = 'domain' | 'ipv4' | 'ipv6';

export function isIPv4(s: string): boolean {
  return ipv4At(codesOf(s), 0, s.length);
}

/** IPv4address on the char codes b[start, end). */
function ipv4At(b: Buffer, start: number, end: number): boolean {
  let parts = 0;
  let i = start;
  while (i <= end) {
    let n = 0;
    let digits = 0;
    while (i < end) {
      const c = b[i];
      if (c < 48 || c > 57) break;
      n = n * 10 + c - 48;
      digits++;
      i++;
    }
    if (digits === 0 || digits > 3 || n > 255) return false;
    parts++;
    if (i === end) break;
    if (b[i] !== 46 || parts === 4) return false;
    i++;
  }
  return parts === 4;
}

/**
 * IPv6address (RFC 3986 3.2.2 / RFC 4291 2.2), with an optional dotted IPv4 tail.
 * RFC 5118 4.10: a `:::` written before an IPv4 tail (an error once present in the RFC 3261 ABNF)
 * is tolerated as if it were `::`.
 */
export function isIPv6(s: string, start = 0, end = s.length): boolean {
  let text = s.slice(start, end);
  if (text.length < 2) return false;
  const triple = text.indexOf(':::');
  if (triple !== -1) {
    const tail = text.slice(triple + 3);
    if (tail.indexOf(':') !== -1 || !isIPv4(tail)) return false;
    text = text.slice(0, triple) + '::' + tail;
  }
  const dbl = text.indexOf('::');
  if (dbl !== -1 && text.indexOf('::', dbl + 1) !== -1) return false;
  const groups = text.split(':');
  let count = 0;
  for (let g = 0; g < groups.length; g++) {
    const part = groups[g];
    if (part.length === 0) continue;
    if (g === groups.length - 1 && part.indexOf('.') !== -1) {
      if (!isIPv4(part)) return false;
      count += 2;
      continue;
    }
    if (part.length > 4) return false;
    for (let i = 0; i < part.length; i++) if (!isHexDigit(part.charCodeAt(i))) return false;
    count++;
  }
  if (dbl === -1) {
    if (count !== 8) return false;
    if (text.charCodeAt(0) === 58 || text.charCodeAt(text.length - 1) === 58) return false;
    return true;
  }
  if (dbl !== 0 && text.charCodeAt(0) === 58) return false;
  if (dbl !== text.length - 2 && text.charCodeAt(text.length - 1) === 58) return false;
  return count <= 7;
}

/** What each octet is to a hostname: a digit, another hostname char (letter, `-`, `_`), a dot. */
const DIGIT = 1;
const LETTER = 2;
const DOT = 3;
const hostChars = new Uint8Array(256);
for (let c = 0; c < 128; c++) if (isHostChar(c)) hostChars[c] = isDigit(c) ? DIGIT : LETTER;
hostChars[46] = DOT;

/** Classifies a bare host (no brackets); undefined when it is not a valid host. */
export function classifyHost(s: string): HostKind | undefined {
  return classifyHostAt(s, codesOf(s), 0, s.length);
}

/** classifyHost on s[start, end), whose char codes are b. */
export function classifyHostAt(s: string, b: Buffer, start: number, end: number): HostKind | undefined {
  const runEnd = classifyHostRun(b, start, end);
  if (runEnd === end) return hostRunKind;
  // A colon makes it an IPv6 address or nothing; any other char nothing.
  return findCode(b, 58, runEnd, end) !== -1 && isIPv6(s, start, end) ? 'ipv6' : undefined;
}

/** classifyHostAt's outcome for the run the last classifyHostRun call scanned. */
export let hostRunKind: HostKind | undefined;

/**
 * Scans the run of hostname chars and dots at b[start, end) and returns where it ends; hostRunKind
 * says in the same pass what the run is: an IPv4 address when it is digits and dots that form one;
 * otherwise a hostname (RFC 3261 25.1) or nothing: labels of alphanumerics, `-` and `_` (tolerated as
 * seen in the wild) separated by dots, whose last label is not all digits (a broken IPv4 address).
 */
export function classifyHostRun(b: Buffer, start: number, end: number): number {
  let labelStart = start;
  let lastLetter = -1;
  let emptyLabel = false;
  let i = start;
  for (; i < end; i++) {
    const kind = hostChars[b[i]];
    if (kind === DIGIT) continue;
    if (kind === LETTER) {
      lastLetter = i;
    } else if (kind === DOT) {
      if (i === labelStart) emptyLabel = true;
      labelStart = i + 1;
    } else {
      break;
    }
  }
  if (lastLetter === -1 && i > start && ipv4At(b, start, i)) {
    hostRunKind = 'ipv4';
  } else if (emptyLabel || i === start) {
    hostRunKind = undefined;
  } else {
    // A host ending in a dot has an empty last label, which is not all digits.
    hostRunKind = labelStart < i && lastLetter < labelStart ? undefined : 'domain';
  }
  return i;
}

/**
 * An IPv6 address in its RFC 5952 canonical text (`0:0:0:0:0:0:0:1` -> `::1`, lower case), so two
 * spellings of one address compare equal; a text the platform does not take (a zone id) comes back
 * as it is.
 */
export function canonicalIPv6(address: string): string {
  try {
    return new SocketAddress({ address, family: 'ipv6' }).address;
  } catch {
    return address;
  }
}

/**
 * The IPv4 address an IPv4-mapped IPv6 address (RFC 4291 2.5.5.2) carries, in any spelling
 * (`::ffff:192.0.2.1`, `0:0:0:0:0:FFFF:c000:201`); undefined for any other host. simplesip takes such
 * a host for that IPv4 address everywhere (README: Transports and addresses).
 */
export function mappedIPv4(host: string): string | undefined {
  // Every spelling has an `ffff` group: other hosts (nearly all) are not canonicalized.
  if (host.length < 7 || !/ffff/i.test(host)) return undefined;
  const canonical = canonicalIPv6(host);
  return canonical.startsWith('::ffff:') && isIPv4(canonical.slice(7)) ? canonical.slice(7) : undefined;
}

/** A host as it appears in a URI or Via: IPv6 inside brackets (RFC 3261 25.1 IPv6reference). */
export function formatHost(host: string, hostKind?: HostKind): string {
  const v6 = hostKind === 'ipv6' || (hostKind === undefined && host.indexOf(':') !== -1);
  return v6 ? `[${host}]` : host;
}

export function formatHostPort(host: string, port?: number): string {
  const h = formatHost(host);
  return port === undefined ? h : `${h}:${port}`;
}

/** A port in the char codes b[start, end): 1*5DIGIT no greater than 65535; -1 when malformed. */
export function parsePort(b: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 5) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (!isDigit(c)) return -1;
    n = n * 10 + c - 48;
  }
  return n > 65535 ? -1 : n;
}
