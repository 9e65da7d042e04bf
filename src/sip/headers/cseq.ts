// CSeq (RFC 3261 20.16, 8.1.1.5).

import { badRequest } from '../errors.js';
import { isToken, skipWs, trimEndWs } from '../scan.js';

export interface CSeq {
  seq: number;
  method: string;
}

/** RFC 3261 8.1.1.5: the sequence number must be expressible as a 32-bit unsigned integer. */
const MAX_SEQ = 0xffffffff;

export function parseCSeq(text: string): CSeq {
  const end = trimEndWs(text, 0, text.length);
  const start = skipWs(text, 0, end);
  let i = start;
  let seq = 0;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    seq = seq * 10 + c - 48;
    i++;
  }
  if (i === start) throw badRequest('malformed CSeq header (missing sequence number)');
  if (i - start > 10 || seq > MAX_SEQ) throw badRequest('malformed CSeq header (sequence number out of range)');
  const m = skipWs(text, i, end);
  if (m === i || !isToken(text, m, end)) throw badRequest('malformed CSeq header (bad method)');
  return { seq, method: text.slice(m, end) };
}

export function formatCSeq(c: CSeq): string {
  return `${c.seq} ${c.method}`;
}
