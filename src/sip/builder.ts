// Building requests and responses (RFC 3261 8.1.1, 8.2.6), and the random identifiers they carry.

import { SipParseError } from './errors.js';
import { randomView } from './random-pool.js';
import type { SipMessage, StoredField } from './message.js';
import { makeField, SipMessage as Message } from './message.js';
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
 * A request field under the display name a response gives it. Its value was checked (one line,
 * trimmed) when the request was parsed or built, so it is copied as it is, offsets and all.
 */
function copied(f: StoredField, rawName: string): StoredField {
  return { name: f.name, rawName, value: f.value, source: f.source, start: f.start, end: f.end, codes: f.codes };
}

/** A field whose value we wrote ourselves and know to be one trimmed line. */
function own(name: string, rawName: string, value: string): StoredField {
  return { name, rawName, value, source: value, start: 0, end: value.length, codes: undefined };
}

/** Where addHeader(name, value, 'last') puts a field: after the last one of its name, else at the end. */
function addLast(fields: StoredField[], field: StoredField): void {
  for (let i = fields.length - 1; i >= 0; i--) {
    if (fields[i].name === field.name) {
      fields.splice(i + 1, 0, field);
      return;
    }
  }
  fields.push(field);
}

/**
 * RFC 3261 8.2.6.2: Via (every value, in order), From, To, Call-ID and CSeq are copied from the
 * request; a To-tag is added to any response but 100 when the request had none.
 *
 * Every response this server writes comes through here, so the header list is built in one go:
 * the copied fields keep the request's checked values, only the caller's headers are validated.
 */
export function createResponse(
  request: SipMessage,
  status: number,
  reason: string = reasonPhrase(status),
  options: ResponseOptions = {},
): SipMessage {
  // Every field of a SipMessage is a StoredField; headerFields() shows the public part of them.
  const source = request.headerFields() as ReadonlyArray<StoredField>;
  const fields: StoredField[] = [];
  for (let i = 0; i < source.length; i++) if (source[i].name === 'via') fields.push(copied(source[i], 'Via'));
  for (let i = 0; i < source.length; i++) if (source[i].name === 'from') fields.push(copied(source[i], 'From'));
  const addTag = status > 100 && !hasTag(request);
  for (let i = 0; i < source.length; i++) {
    const f = source[i];
    if (f.name !== 'to') continue;
    if (!addTag) fields.push(copied(f, 'To'));
    // A caller's tag is checked like any header value; ours is hex.
    else if (options.toTag !== undefined) fields.push(makeField('To', withTag(f.value, options.toTag)));
    else fields.push(own('to', 'To', withTag(f.value, newTag())));
  }
  for (let i = 0; i < source.length; i++) if (source[i].name === 'call-id') fields.push(copied(source[i], 'Call-ID'));
  for (let i = 0; i < source.length; i++) if (source[i].name === 'cseq') fields.push(copied(source[i], 'CSeq'));
  // finish() without the list edits: the same fields in the same places.
  let ownLength = options.contentType === undefined;
  const extra = options.headers;
  if (extra !== undefined) {
    for (let i = 0; i < extra.length; i++) {
      const field = makeField(extra[i][0], extra[i][1]);
      if (field.name === 'content-length') ownLength = false;
      addLast(fields, field);
    }
  }
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
  if (!ownLength) return finish(new Message('response', reason, status, fields, body), { body, contentType: options.contentType });
  fields.push(own('content-length', 'Content-Length', String(body === undefined ? 0 : body.length)));
  return new Message('response', reason, status, fields, body);
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
