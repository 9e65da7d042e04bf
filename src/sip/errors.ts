import type { SipMessage } from './message.js';

/**
 * A message or header that does not follow the RFC 3261 grammar.
 * `status` is the response a UAS should send (400, 505, 513, ...); `reason` is the reason phrase
 * naming the defect; `partial` is the message as far as it could be framed, so that a UAS can still
 * answer a request whose body or one header is broken (RFC 3261 8.2, 21.4.1).
 */
export class SipParseError extends Error {
  readonly status: number;
  readonly reason: string;
  partial?: SipMessage;

  constructor(status: number, reason: string, partial?: SipMessage) {
    super(reason);
    this.name = 'SipParseError';
    this.status = status;
    this.reason = reason;
    if (partial !== undefined) this.partial = partial;
  }
}

/** A 400 whose reason names the defect: `Bad Request (malformed Via header)`. */
export function badRequest(detail: string, partial?: SipMessage): SipParseError {
  return new SipParseError(400, `Bad Request (${detail})`, partial);
}

/** Re-throws a nested parse error with the header it occurred in: `malformed To header: malformed URI (bad host)`. */
export function inHeader(err: unknown, what: string): SipParseError {
  if (!(err instanceof SipParseError)) return badRequest(`malformed ${what} header`);
  const inner = err.reason.startsWith('Bad Request (') ? err.reason.slice(13, -1) : err.reason;
  return badRequest(`malformed ${what} header: ${inner}`);
}
