// Building requests and responses (RFC 3261 8.1.1, 8.2.6), and the random identifiers they carry.

import { SipParseError } from './errors.js';
import { randomView } from './random-pool.js';
import type { SipMessage } from './message.js';
import { SipMessage as Message } from './message.js';
import { formatNameAddr, type NameAddr } from './name-addr.js';
import { reasonPhrase } from './reason-phrases.js';
import { formatUri, type Uri } from './uri.js';

/** RFC 3261 8.1.1.7: branches start with the magic cookie so that 17.2.3 matching can be used. */
export const MAGIC_COOKIE = 'z9hG4bK';

/** 96 random bits, base64url (every character is a token character). */
export function newBranch(): string {
  return MAGIC_COOKIE + randomView(12).toString('base64url');
}

/** RFC 3261 19.3: at least 32 random bits; we use 64. */
export function newTag(): string {
  return randomView(8).toString('hex');
}

/** RFC 3261 8.1.1.4: globally unique; 128 random bits. */
export function newCallId(): string {
  return randomView(16).toString('base64url');
}

export interface ResponseOptions {
  /** To-tag to add when the request's To has none (RFC 3261 8.2.6.2); a fresh one by default. */
  toTag?: string;
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: Buffer | string;
  contentType?: string;
}

function withTag(value: string, tag: string): string {
  return `${value};tag=${tag}`;
}

function hasTag(request: SipMessage): boolean {
  try {
    return request.to().tag !== undefined;
  } catch (err) {
    if (err instanceof SipParseError) return true;
    throw err;
  }
}

/**
 * RFC 3261 8.2.6.2: Via (every value, in order), From, To, Call-ID and CSeq are copied from the
 * request; a To-tag is added to any response but 100 when the request had none.
 */
export function createResponse(
  request: SipMessage,
  status: number,
  reason: string = reasonPhrase(status),
  options: ResponseOptions = {},
): SipMessage {
  const headers: Array<[string, string]> = [];
  for (const f of request.headerFields()) if (f.name === 'via') headers.push(['Via', f.value]);
  for (const f of request.headerFields()) if (f.name === 'from') headers.push(['From', f.value]);
  const addTag = status > 100 && !hasTag(request);
  for (const f of request.headerFields()) {
    if (f.name === 'to') headers.push(['To', addTag ? withTag(f.value, options.toTag ?? newTag()) : f.value]);
  }
  for (const f of request.headerFields()) if (f.name === 'call-id') headers.push(['Call-ID', f.value]);
  for (const f of request.headerFields()) if (f.name === 'cseq') headers.push(['CSeq', f.value]);
  return finish(Message.response({ status, reason, headers }), options);
}

function finish(msg: SipMessage, options: { headers?: ReadonlyArray<readonly [string, string]>; body?: Buffer | string; contentType?: string }): SipMessage {
  for (const [name, value] of options.headers ?? []) msg.addHeader(name, value);
  if (options.body !== undefined) {
    msg.body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
  }
  if (options.contentType !== undefined) msg.setHeader('Content-Type', options.contentType);
  msg.setHeader('Content-Length', String(msg.body.length));
  return msg;
}

export interface RequestOptions {
  method: string;
  uri: string | Uri;
  from: string | NameAddr;
  to: string | NameAddr;
  /** Added to From when it has no tag (RFC 3261 8.1.1.3); a fresh one by default. */
  fromTag?: string;
  callId?: string;
  cseq?: number;
  /** Top Via value; usually added later by the transaction layer, which knows the transport. */
  via?: string;
  /** RFC 3261 8.1.1.6: 70 by default. */
  maxForwards?: number;
  contact?: string;
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: Buffer | string;
  contentType?: string;
}

function nameAddrText(v: string | NameAddr): string {
  return typeof v === 'string' ? v : formatNameAddr(v);
}

/** A request with the mandatory headers of RFC 3261 8.1.1 in the usual order. */
export function createRequest(options: RequestOptions): SipMessage {
  const uri = typeof options.uri === 'string' ? options.uri : formatUri(options.uri);
  let from = nameAddrText(options.from);
  if (!/;\s*tag\s*=/i.test(from.slice(from.lastIndexOf('>') + 1))) from = withTag(from, options.fromTag ?? newTag());
  const headers: Array<[string, string]> = [];
  if (options.via !== undefined) headers.push(['Via', options.via]);
  headers.push(['Max-Forwards', String(options.maxForwards ?? 70)]);
  headers.push(['From', from]);
  headers.push(['To', nameAddrText(options.to)]);
  headers.push(['Call-ID', options.callId ?? newCallId()]);
  headers.push(['CSeq', `${options.cseq ?? 1} ${options.method}`]);
  if (options.contact !== undefined) headers.push(['Contact', options.contact]);
  return finish(Message.request({ method: options.method, requestUri: uri, headers }), options);
}
