// Event (RFC 6665 8.2.1, formerly RFC 3265 7.2.1) and Subscription-State (RFC 6665 8.2.3).

import { codesOf } from '../codes.js';
import { badRequest } from '../errors.js';
import { parseParams, parseUint, scanToken, skipWs, unquote } from '../scan.js';
import { MAX_DELTA_SECONDS } from './scalars.js';

export interface EventHeader {
  /** event-type: the package and its template suffixes, e.g. `presence` or `presence.winfo`. */
  package: string;
  id?: string;
  params: Map<string, string | null>;
}

export interface SubscriptionState {
  /** active, pending, terminated or an extension, lower-cased. */
  state: string;
  expires?: number;
  reason?: string;
  retryAfter?: number;
  params: Map<string, string | null>;
}

export function parseEvent(text: string): EventHeader {
  let i = skipWs(text, 0);
  const end = scanToken(text, i);
  if (end === i) throw badRequest('malformed Event header (missing event type)');
  const pkg = text.slice(i, end);
  const params = new Map<string, string | null>();
  i = parseParams(text, codesOf(text), end, params, 'Event', text.length);
  if (i !== text.length) throw badRequest('malformed Event header (unexpected character)');
  const ev: EventHeader = { package: pkg, params };
  const id = params.get('id');
  if (id !== undefined && id !== null) ev.id = unquote(id);
  return ev;
}

function seconds(v: string | null | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = v === null ? -1 : parseUint(v, MAX_DELTA_SECONDS);
  if (n < 0) throw badRequest(`malformed Subscription-State header (bad ${name})`);
  return n;
}

export function parseSubscriptionState(text: string): SubscriptionState {
  let i = skipWs(text, 0);
  const end = scanToken(text, i);
  if (end === i) throw badRequest('malformed Subscription-State header (missing state)');
  const state = text.slice(i, end).toLowerCase();
  const params = new Map<string, string | null>();
  i = parseParams(text, codesOf(text), end, params, 'Subscription-State', text.length);
  if (i !== text.length) throw badRequest('malformed Subscription-State header (unexpected character)');
  const s: SubscriptionState = { state, params };
  const expires = seconds(params.get('expires'), 'expires');
  if (expires !== undefined) s.expires = expires;
  const retry = seconds(params.get('retry-after'), 'retry-after');
  if (retry !== undefined) s.retryAfter = retry;
  const reason = params.get('reason');
  if (reason !== undefined && reason !== null) s.reason = reason.toLowerCase();
  return s;
}
