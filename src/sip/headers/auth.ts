// Authorization / Proxy-Authorization credentials and WWW-/Proxy-Authenticate challenges
// (RFC 3261 20.7, 20.27, 20.28, 20.44, 25.1; RFC 7616 for the digest parameters).

import { badRequest } from '../errors.js';
import { scanQuoted, scanToken, skipWs, unquote } from '../scan.js';

export interface Credentials {
  scheme: string;
  /** Lower-cased names, unquoted values. */
  params: Map<string, string>;
}

export type Challenge = Credentials;

/**
 * `scheme LWS auth-param *(COMMA auth-param)`. Parameters are `name = token / quoted-string`;
 * a bare token (RFC 2617-style token68 or an extension without `=`) maps to the empty string.
 */
export function parseAuth(text: string, what: string): Credentials {
  const end = text.length;
  let i = skipWs(text, 0);
  const schemeEnd = scanToken(text, i);
  if (schemeEnd === i) throw badRequest(`malformed ${what} header (missing scheme)`);
  const scheme = text.slice(i, schemeEnd);
  const params = new Map<string, string>();
  i = skipWs(text, schemeEnd);
  if (i < end && i === schemeEnd) throw badRequest(`malformed ${what} header (scheme)`);
  while (i < end) {
    const nameEnd = scanToken(text, i);
    if (nameEnd === i) throw badRequest(`malformed ${what} header (bad parameter)`);
    const name = text.slice(i, nameEnd).toLowerCase();
    i = skipWs(text, nameEnd);
    let value = '';
    if (text.charCodeAt(i) === 61) {
      i = skipWs(text, i + 1);
      if (text.charCodeAt(i) === 34) {
        const q = scanQuoted(text, i);
        if (q === -1) throw badRequest(`malformed ${what} header (unbalanced quotes)`);
        value = unquote(text.slice(i, q));
        i = q;
      } else {
        const vEnd = scanValue(text, i);
        if (vEnd === i) throw badRequest(`malformed ${what} header (empty value of ${name})`);
        value = text.slice(i, vEnd);
        i = vEnd;
      }
    }
    if (!params.has(name)) params.set(name, value);
    i = skipWs(text, i);
    if (i < end) {
      if (text.charCodeAt(i) !== 44) throw badRequest(`malformed ${what} header (expected comma)`);
      i = skipWs(text, i + 1);
    }
  }
  return { scheme, params };
}

/** token, or token68 (base64 may end in `=`) and the `/` `:` seen in unquoted URIs of broken clients. */
function scanValue(text: string, i: number): number {
  for (;;) {
    const j = scanToken(text, i);
    const c = text.charCodeAt(j);
    if (c === 47 || c === 58 || c === 61 || c === 64) {
      i = j + 1;
      continue;
    }
    return j;
  }
}

/** Digest parameters that are quoted-strings on the wire (RFC 7616 3.4, 3.3). */
const QUOTED = new Set(['realm', 'nonce', 'opaque', 'username', 'uri', 'response', 'cnonce', 'domain', 'qop-options']);

export function formatAuth(a: Credentials, unquotedQop = true): string {
  const parts: string[] = [];
  for (const [name, value] of a.params) {
    const quoted = QUOTED.has(name) || (name === 'qop' && !unquotedQop);
    parts.push(quoted ? `${name}="${value.replace(/(["\\])/g, '\\$1')}"` : `${name}=${value}`);
  }
  return `${a.scheme} ${parts.join(', ')}`;
}
