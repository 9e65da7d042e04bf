// Single-integer headers: Max-Forwards (RFC 3261 20.22), Expires (20.19), Min-Expires (20.23),
// Content-Length (20.14).

import { badRequest } from '../errors.js';
import { parseUint, skipWs, trimEndWs } from '../scan.js';

/** delta-seconds are at most 2**32-1 (RFC 3261 20.19). */
export const MAX_DELTA_SECONDS = 0xffffffff;

/** An integer in [0, max]; `what` names the header in the error. */
export function parseBoundedInt(text: string, max: number, what: string): number {
  const end = trimEndWs(text, 0, text.length);
  const start = skipWs(text, 0, end);
  const n = parseUint(text, max, start, end);
  if (n < 0) {
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) throw badRequest(`malformed ${what} header`);
    }
    throw badRequest(`malformed ${what} header (value out of range)`);
  }
  return n;
}

/** Max-Forwards is 0-255 in practice (RFC 3261 8.1.1.6 recommends 70; RFC 4475 3.1.2.4 calls >255 invalid). */
export function parseMaxForwards(text: string): number {
  return parseBoundedInt(text, 255, 'Max-Forwards');
}

export function parseDeltaSeconds(text: string, what: string): number {
  return parseBoundedInt(text, MAX_DELTA_SECONDS, what);
}
