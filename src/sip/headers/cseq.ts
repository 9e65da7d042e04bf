// CSeq (RFC 3261 20.16, 8.1.1.5).

import { codesOf, skipSpaces, trimSpaces } from '../codes.js';
import { badRequest } from '../errors.js';
import { tokenEnd } from '../scan.js';

export interface CSeq {
  seq: number;
  method: string;
}

/** RFC 3261 8.1.1.5: the sequence number must be expressible as a 32-bit unsigned integer. */
const MAX_SEQ = 0xffffffff;

export function parseCSeq(text: string): CSeq {
  return parseCSeqAt(text, codesOf(text), 0, text.length);
}

/** parseCSeq on text[start, end), whose char codes are b (see codes.ts). */
export function parseCSeqAt(text: string, b: Buffer, start: number, end: number): CSeq {
  end = trimSpaces(b, start, end);
  start = skipSpaces(b, start, end);
  let i = start;
  let seq = 0;
  while (i < end) {
    const c = b[i];
    if (c < 48 || c > 57) break;
    seq = seq * 10 + c - 48;
    i++;
  }
  if (i === start) throw badRequest('malformed CSeq header (missing sequence number)');
  if (i - start > 10 || seq > MAX_SEQ) throw badRequest('malformed CSeq header (sequence number out of range)');
  const m = skipSpaces(b, i, end);
  if (m === i || m === end || tokenEnd(b, m, end) !== end) throw badRequest('malformed CSeq header (bad method)');
  return { seq, method: text.slice(m, end) };
}

export function formatCSeq(c: CSeq): string {
  return `${c.seq} ${c.method}`;
}
