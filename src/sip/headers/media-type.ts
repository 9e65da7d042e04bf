// media-type for Content-Type (RFC 3261 20.15) and Accept (20.1).

import { codesOf } from '../codes.js';
import { badRequest } from '../errors.js';
import { findListEnd, parseParams, scanToken, skipWs, unquote } from '../scan.js';

export interface MediaType {
  /** Lower-cased. */
  type: string;
  subtype: string;
  /** Lower-cased names, unquoted values; empty string for a parameter without value. */
  params: Map<string, string>;
}

export function parseMediaType(text: string, what = 'Content-Type'): MediaType {
  let i = skipWs(text, 0);
  const typeEnd = scanToken(text, i);
  if (typeEnd === i) throw badRequest(`malformed ${what} header (missing type)`);
  const type = text.slice(i, typeEnd).toLowerCase();
  i = skipWs(text, typeEnd);
  if (text.charCodeAt(i) !== 47) throw badRequest(`malformed ${what} header (missing /)`);
  i = skipWs(text, i + 1);
  const subEnd = scanToken(text, i);
  if (subEnd === i) throw badRequest(`malformed ${what} header (missing subtype)`);
  const subtype = text.slice(i, subEnd).toLowerCase();
  const raw = new Map<string, string | null>();
  i = parseParams(text, codesOf(text), subEnd, raw, what, text.length);
  if (i !== text.length) throw badRequest(`malformed ${what} header (unexpected character)`);
  const params = new Map<string, string>();
  for (const [k, v] of raw) params.set(k, v === null ? '' : unquote(v));
  return { type, subtype, params };
}

/** Accept: a possibly empty list of media ranges (an empty Accept means no body is acceptable). */
export function parseMediaTypeList(text: string, out: MediaType[]): void {
  if (text.trim().length === 0) return;
  let i = 0;
  while (i <= text.length) {
    const j = findListEnd(text, i);
    const part = text.slice(i, j);
    if (part.trim().length > 0) out.push(parseMediaType(part, 'Accept'));
    i = j + 1;
  }
}

export function formatMediaType(m: MediaType): string {
  let out = `${m.type}/${m.subtype}`;
  for (const [k, v] of m.params) out += v === '' ? `;${k}` : `;${k}=${v}`;
  return out;
}
