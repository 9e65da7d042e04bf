// RFC 3261 16.7 step 3: a response goes upstream without the Via the proxy added to its request.
import type { SipMessage } from '../sip/message.js';
import { findListEnd } from '../sip/scan.js';

/** Removes the topmost via-parm, keeping the others (also those sharing its header line) in order. */
export function removeTopVia(response: SipMessage): void {
  const values: string[] = [];
  for (const f of response.headerFields()) if (f.name === 'via') values.push(f.value);
  if (values.length === 0) return;
  const first = values[0];
  const end = findListEnd(first, 0);
  if (end < first.length) {
    response.replaceHeader('via', 0, first.slice(end + 1).trimStart());
    return;
  }
  response.removeHeader('via');
  // Re-added at the top of the header block, where Via belongs (RFC 3261 7.3.1 recommends it near the top).
  for (let i = values.length - 1; i >= 1; i--) response.addHeader('Via', values[i], 'first');
}
