// Turning a fatal stream framing error into something the layer above can answer (RFC 3261 18.3:
// the connection must close, but a request whose headers can be read still deserves its 400/513).
import { SipParseError } from '../sip/errors.js';
import type { ParseLimits } from '../sip/limits.js';
import { parseMessage } from '../sip/parser.js';

/** The framer's reason for a message over maxMessageSize (sip/framing.ts). */
const TOO_LARGE = 'message too large';

/**
 * A SipParseError carrying the request as far as it could be read, or undefined when the bytes
 * are not a request with a Via (nothing can be answered: the stream just closes).
 */
export function framingErrorFor(reason: string, pending: Buffer, limits: ParseLimits): SipParseError | undefined {
  // Size is the framer's verdict; parse the headers whatever their size (datagram rules, RFC 3261 18.3).
  const parsed = parseMessage(pending, { ...limits, maxMessageSize: Math.max(pending.length, limits.maxMessageSize) });
  const partial = parsed instanceof SipParseError ? parsed.partial : parsed;
  if (partial === undefined || partial.kind !== 'request' || !partial.hasHeader('via')) return undefined;
  // RFC 3261 21.5.14: 513 Message Too Large; anything else is a 400 naming the defect.
  return reason === TOO_LARGE
    ? new SipParseError(513, 'Message Too Large', partial)
    : new SipParseError(400, `Bad Request (${reason})`, partial);
}
