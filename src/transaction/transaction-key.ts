/**
 * Transaction identifiers: the keys under which the transaction layer files its client and server
 * transactions (RFC 3261 17.1.3, 17.2.3).
 *
 * Server keys are never the branch alone: every finch (libpurple) process sends the same branches,
 * Call-IDs and tags, and two such clients differ only in the sent-by port of their top Via.
 */
import { MAGIC_COOKIE } from '../sip/builder.js';
import { badRequest } from '../sip/errors.js';
import type { SipMessage } from '../sip/message.js';
import type { Via } from '../sip/headers/via.js';

/**
 * RFC 3261 8.1.1.7, 17.2.3: the branch identifies the transaction only when it starts with the magic cookie.
 * A branch that is the bare cookie (RFC 4475 3.2.1, badbranch) carries no identifier at all, so it is
 * handled like a branch-less RFC 2543 request.
 */
export function isRfc3261Branch(branch: string | undefined): branch is string {
  return branch !== undefined && branch.length > MAGIC_COOKIE.length && branch.startsWith(MAGIC_COOKIE);
}

/**
 * The method a request is matched under: an ACK belongs to the INVITE transaction it acknowledges;
 * every other method (CANCEL included) forms its own transaction (RFC 3261 17.2.3, 9.2).
 */
function matchingMethod(method: string): string {
  return method === 'ACK' ? 'INVITE' : method;
}

export interface ServerKeyOptions {
  /** Match under this method instead (CANCEL looks up the INVITE it cancels, RFC 3261 9.2). */
  method?: string;
  /**
   * RFC 2543 matching only: use this To tag instead of the request's. An ACK for a non-2xx response
   * carries the tag of the response, while the INVITE transaction is filed under the INVITE's tag.
   */
  toTag?: string;
}

/*
 * Keys are made with join(), not template literals: a template literal is a rope of V8 cons strings
 * over slices of the message text, and a Map keeps its key as it is given. A key filed for Timer J
 * (32 s) then held its whole request text in memory; a joined key is one flat copy of its parts.
 */

/**
 * RFC 3261 17.2.3. With an RFC 3261 branch: branch + sent-by (host:port of the top Via) + method.
 * Without one: the RFC 2543 rules, Request-URI + To tag + From tag + Call-ID + CSeq + top Via.
 * Throws `SipParseError` when the headers the key needs are malformed.
 */
export function serverTransactionKey(request: SipMessage, options: ServerKeyOptions = {}): string {
  const method = options.method ?? matchingMethod(request.method);
  const via = topVia(request);
  if (isRfc3261Branch(via.branch)) {
    // Host names are case-insensitive; an absent port is kept apart from an explicit one, since
    // retransmissions repeat the Via exactly.
    return ['3261', via.branch, via.host.toLowerCase(), via.port ?? '', method].join('\n');
  }
  const toTag = options.toTag ?? request.to().tag ?? '';
  const fromTag = request.from().tag ?? '';
  const rawTopVia = request.headerValues('via')[0]?.trim() ?? '';
  return ['2543', request.requestUri, toTag, fromTag, request.callId(), request.cseq().seq, rawTopVia, method].join('\n');
}

/** RFC 3261 17.1.3: a response matches the client transaction with its top Via branch and CSeq method. */
export function clientTransactionKey(message: SipMessage): string {
  const branch = topVia(message).branch ?? '';
  return [branch, message.cseq().method].join('\n');
}

/** The top Via; a message without one belongs to no transaction (RFC 3261 8.1.1.7, 8.2.6.2). */
export function topVia(message: SipMessage): Via {
  const via = message.topVia();
  if (via === undefined) throw badRequest('missing Via header');
  return via;
}
