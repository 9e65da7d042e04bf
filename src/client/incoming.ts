// Requests that reach the UA (RFC 3261 8.2): MESSAGE and NOTIFY are served, OPTIONS answered
// (11.2), other methods we know but do not serve get 405 with Allow (8.2.1), and methods we do not
// know get 501 (21.5.2). A request outside a dialog for another user gets 404 (8.2.2.1).
import { createResponse } from '../sip/builder.js';
import { SipParseError } from '../sip/errors.js';
import type { SipMessage } from '../sip/message.js';
import { normalizeEscapes } from '../sip/uri-equals.js';
import { isSipUri } from '../sip/uri.js';
import type { ServerTransaction } from '../transaction/server-transaction.js';
import { ACCEPTED_MESSAGE_TYPES } from './messaging.js';
import { ALLOW } from './registration.js';

const KNOWN_METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'SUBSCRIBE', 'PUBLISH', 'INFO', 'REFER', 'UPDATE', 'PRACK']);

export interface RequestHandlers {
  /** Our user part (the AOR's, which our Contact carries), escaped as written. */
  user: string;
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

function answerOf(request: SipMessage, handlers: RequestHandlers): { status: number; reason?: string; headers: Array<[string, string]> } {
  const misdirected = misdirectedAnswer(request, handlers.user);
  if (misdirected !== undefined) return misdirected;
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

/**
 * RFC 3261 8.2.2.1: a request outside a dialog whose Request-URI is not ours gets 404 (416 for a
 * scheme we do not take). It happens when our port once belonged to another user's UA that died
 * without unregistering: the registrar still sends that user's requests to this address. Our
 * user part is compared case-sensitively, escapes of unreserved characters decoded (19.1.4); a
 * Request-URI with no user part names this device and is ours. In-dialog requests (a To tag) are
 * matched by their dialog instead.
 */
function misdirectedAnswer(request: SipMessage, user: string): { status: number; reason: string; headers: Array<[string, string]> } | undefined {
  if (request.method === 'ACK' || request.method === 'CANCEL' || request.to().tag !== undefined) return undefined;
  const uri = request.uri();
  if (!isSipUri(uri)) return { status: 416, reason: 'Unsupported URI Scheme (only sip: and sips: reach this user agent)', headers: [] };
  if (uri.user === undefined || normalizeEscapes(uri.user) === normalizeEscapes(user)) return undefined;
  return { status: 404, reason: 'Not Found (this user agent is not the user the Request-URI names)', headers: [] };
}

/** RFC 3261 21.4.13: the 415 names what we accept. */
export function unsupportedMedia(): { status: number; headers: Array<[string, string]> } {
  return { status: 415, headers: [['Accept', ACCEPTED_MESSAGE_TYPES.join(', ')]] };
}
