// Comma-separated token lists: Allow (RFC 3261 20.5), Supported (20.37), Require (20.32),
// Proxy-Require (20.29), Unsupported (20.40), Allow-Events (RFC 6665 8.2.2).

import { badRequest } from '../errors.js';
import { isToken, skipWs, trimEndWs } from '../scan.js';

/** Appends each token of one header value; empty elements are skipped (RFC 7230 7 leniency). */
export function parseTokenList(text: string, out: string[], what: string): void {
  let i = 0;
  const end = text.length;
  while (i <= end) {
    let j = text.indexOf(',', i);
    if (j === -1) j = end;
    const s = skipWs(text, i, j);
    const e = trimEndWs(text, s, j);
    if (e > s) {
      if (!isToken(text, s, e)) throw badRequest(`malformed ${what} header (bad token)`);
      out.push(text.slice(s, e));
    }
    i = j + 1;
  }
}

/** A single token value: SIP-ETag, SIP-If-Match (RFC 3903 11.3.1, 11.3.2). */
export function parseSingleToken(text: string, what: string): string {
  const v = text.trim();
  if (!isToken(v)) throw badRequest(`malformed ${what} header`);
  return v;
}
