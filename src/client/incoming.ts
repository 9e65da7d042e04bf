// Requests that reach the UA (RFC 3261 8.2): MESSAGE and NOTIFY are served, OPTIONS answered
// (11.2), other methods we know but do not serve get 405 with Allow (8.2.1), and methods we do not
// know get 501 (21.5.2).
import { createResponse } from '../sip/builder.js';
import { SipParseError } from '../sip/errors.js';
import type { SipMessage } from '../sip/message.js';
import type { ServerTransaction } from '../transaction/server-transaction.js';
import { ACCEPTED_MESSAGE_TYPES } from './messaging.js';
import { ALLOW } from './registration.js';

const KNOWN_METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'SUBSCRIBE', 'PUBLISH', 'INFO', 'REFER', 'UPDATE', 'PRACK']);

export interface RequestHandlers {
  /** The status to answer and extra headers (415 carries Accept). */
  message(request: SipMessage): { status: number; headers?: Array<[string, string]> };
  notify(request: SipMessage): number;
}

export function answerRequest(tx: ServerTransaction, request: SipMessage, handlers: RequestHandlers, userAgent: string): void {
  let answer: { status: number; reason?: string; headers: Array<[string, string]> };
  try {
    answer = answerOf(request, handlers);
  } catch (err) {
    // A header we needed did not parse (a Content-Type of "garbage"): RFC 3261 8.2 / 21.4.1, say which.
    if (!(err instanceof SipParseError)) throw err;
    answer = { status: err.status, reason: err.reason, headers: [] };
  }
  answer.headers.push(['Server', userAgent]);
  tx.respond(createResponse(request, answer.status, answer.reason, { headers: answer.headers }));
}

function answerOf(request: SipMessage, handlers: RequestHandlers): { status: number; headers: Array<[string, string]> } {
  // RFC 3261 8.2.2.3: this UA supports no extension a request could require of it.
  const required = request.method === 'ACK' || request.method === 'CANCEL' ? [] : request.require();
  if (required.length > 0) return { status: 420, headers: [['Unsupported', required.join(', ')]] };
  let status: number;
  let headers: Array<[string, string]> = [];
  switch (request.method) {
    case 'MESSAGE':
      ({ status, headers = [] } = handlers.message(request));
      break;
    case 'NOTIFY':
      status = handlers.notify(request);
      break;
    case 'OPTIONS':
      status = 200;
      headers = [['Allow', ALLOW], ['Accept', ACCEPTED_MESSAGE_TYPES.join(', ')]];
      break;
    default:
      status = KNOWN_METHODS.has(request.method as string) ? 405 : 501;
      if (status === 405) headers = [['Allow', ALLOW]];
  }
  return { status, headers };
}

/** RFC 3261 21.4.13: the 415 names what we accept. */
export function unsupportedMedia(): { status: number; headers: Array<[string, string]> } {
  return { status: 415, headers: [['Accept', ACCEPTED_MESSAGE_TYPES.join(', ')]] };
}
