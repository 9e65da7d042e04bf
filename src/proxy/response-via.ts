// RFC 3261 16.7 step 3: a response goes upstream without the Via the proxy added to its request.
import type { SipMessage } from '../sip/message.js';
import { findListEnd } from '../sip/scan.js';
import { removeTopViaBytes } from '../sip/via-rewrite.js';
import { receivedBytes } from '../transport/received-bytes.js';

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

/** A response to pass upstream: the message without our Via, and its bytes when they could be cut from the datagram. */
export interface RelayedResponse {
  response: SipMessage;
  /** `response` as it goes on the wire; undefined: serialize it. */
  wire: Buffer | undefined;
  /**
   * RFC 3261 16.7 step 3: no Via remains: the response "was meant for this element and MUST NOT be
   * forwarded" (8.2.6.2: a response without Via is none).
   */
  forUs: boolean;
}

/**
 * RFC 3261 16.7 step 3: `received` without the topmost Via, as a message (for 16.7's choice and the
 * transport's routing by the next Via) and, when it came in a datagram, as the received bytes minus
 * that Via: the rest goes upstream octet for octet (step 9), with no second serialization.
 */
export function relayedResponse(received: SipMessage): RelayedResponse {
  const response = received.clone();
  removeTopVia(response);
  const data = receivedBytes(received);
  const forUs = response.headerValues('via').length === 0;
  return { response, wire: data === undefined ? undefined : removeTopViaBytes(received, data), forUs };
}
