// The SIP message model (RFC 3261 7): start line, header fields kept as raw values, body.
// Typed accessors parse a header on first use and cache the result until that header changes.

import { codesOf } from './codes.js';
import { badRequest } from './errors.js';
import { canonicalName, INDEXED_NAMES, isListHeader, SLOT } from './header-names.js';
import { parseAuth, type Challenge, type Credentials } from './headers/auth.js';
import { parseContactList, type Contact } from './headers/contact.js';
import { parseCSeqAt, type CSeq } from './headers/cseq.js';
import { parseDate } from './headers/date.js';
import { parseEvent, parseSubscriptionState, type EventHeader, type SubscriptionState } from './headers/event.js';
import { parseMediaType, parseMediaTypeList, type MediaType } from './headers/media-type.js';
import { parseBoundedInt, parseDeltaSeconds, parseMaxForwards } from './headers/scalars.js';
import { parseSingleToken, parseTokenList } from './headers/tokens.js';
import { parseViaList, type Via } from './headers/via.js';
import { parseNameAddrAt, parseNameAddrList, type NameAddr } from './name-addr.js';
import { PARAM, paramsSeen, paramValue, splitList } from './scan.js';
import { serialize } from './serializer.js';
import { parseUri, type Uri } from './uri.js';

/** One header field line. `raw` is the line exactly as received, kept for unknown headers only. */
export interface HeaderField {
  /** Canonical lower-case name (compact forms expanded). */
  readonly name: string;
  /** The name as written. */
  readonly rawName: string;
  /** The value with folding replaced by single spaces and surrounding whitespace trimmed. */
  readonly value: string;
  readonly raw?: string;
}

/**
 * A field as stored: its value is also `source[start, end)`, where `source` is the message's header
 * text for unfolded parsed values and the value itself otherwise. Typed parsers scan the flat
 * header text with offsets: a sliced string costs an indirection per character read.
 */
export interface StoredField extends HeaderField {
  readonly source: string;
  readonly start: number;
  readonly end: number;
  /** The char codes of `source` (see codes.ts), shared by the fields of one message; made on first use otherwise. */
  codes: Buffer | undefined;
}

export type FromTo = NameAddr & { tag?: string };

export interface RequestInit {
  method: string;
  requestUri: string;
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: Buffer;
}

export interface ResponseInit {
  status: number;
  reason: string;
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: Buffer;
}

type Parser<T> = (m: SipMessage) => T;

/**
 * Where the INDEXED_NAMES headers are in a parsed message: index[slot] is the position of the first
 * field of that name (-1 for none) and bit `slot` of index[REPEATED] is set when there are several.
 * The parser builds it while framing; any change to the header list drops it.
 */
export type FieldIndex = number[];

const REPEATED = INDEXED_NAMES.length;

export function newFieldIndex(): FieldIndex {
  return [-1, -1, -1, -1, -1, -1, -1, -1, -1, 0];
}

export function noteField(index: FieldIndex, slot: number, at: number): void {
  if (index[slot] === -1) index[slot] = at;
  else index[REPEATED] |= 1 << slot;
}

const EMPTY = Buffer.alloc(0);

/** A field from a name and value given by the application: the name must be a token, the value one line. */
export function makeField(name: string, value: string): StoredField {
  if (/[\r\n]/.test(value) || /[\r\n:\s]/.test(name) || name.length === 0) {
    throw new RangeError(`invalid header ${JSON.stringify(name)}: names are tokens, values have no CR/LF`);
  }
  const trimmed = value.trim();
  return { name: canonicalName(name), rawName: name, value: trimmed, source: trimmed, start: 0, end: trimmed.length, codes: undefined };
}

function codesFor(f: StoredField): Buffer {
  return (f.codes ??= codesOf(f.source));
}

export class SipMessage {
  readonly kind: 'request' | 'response';
  /** Request method ('' for responses); case-sensitive (RFC 3261 7.1). */
  method: string;
  /** Response status (0 for requests). */
  status: number;
  /** Response reason phrase ('' for requests). */
  reason: string;
  version = 'SIP/2.0';
  body: Buffer;
  /** True when the header section was not valid UTF-8 and is held as latin1 (one char per octet). */
  readonly binaryHeaders: boolean;
  private fields: StoredField[];
  private index: FieldIndex | undefined;
  private cache: Map<string, unknown> | undefined;
  private rawUri: string;
  private parsedUri: Uri | undefined;

  /** Used by the parser; applications use SipMessage.request / SipMessage.response or the builder. */
  constructor(
    kind: 'request' | 'response',
    startA: string,
    startB: string | number,
    fields: StoredField[],
    body: Buffer = EMPTY,
    binaryHeaders = false,
    index?: FieldIndex,
  ) {
    this.kind = kind;
    if (kind === 'request') {
      this.method = startA;
      this.rawUri = String(startB);
      this.status = 0;
      this.reason = '';
    } else {
      this.method = '';
      this.rawUri = '';
      this.reason = startA;
      this.status = Number(startB);
    }
    this.fields = fields;
    this.index = index;
    this.body = body;
    this.binaryHeaders = binaryHeaders;
    this.cache = undefined;
    this.parsedUri = undefined;
  }

  static request(init: RequestInit): SipMessage {
    const fields = (init.headers ?? []).map(([n, v]) => makeField(n, v));
    return new SipMessage('request', init.method, init.requestUri, fields, init.body ?? EMPTY);
  }

  static response(init: ResponseInit): SipMessage {
    const fields = (init.headers ?? []).map(([n, v]) => makeField(n, v));
    return new SipMessage('response', init.reason, init.status, fields, init.body ?? EMPTY);
  }

  /** Request-URI as written (raw text); empty for responses. */
  get requestUri(): string {
    return this.rawUri;
  }

  set requestUri(text: string) {
    this.rawUri = text;
    this.parsedUri = undefined;
  }

  /** The parsed Request-URI; throws SipParseError when it is malformed, returns OtherUri for unknown schemes. */
  uri(): Uri {
    if (this.parsedUri === undefined) this.parsedUri = parseUri(this.rawUri);
    return this.parsedUri;
  }

  /** Lets the parser hand over the Request-URI it already validated. */
  setParsedUri(uri: Uri): void {
    this.parsedUri = uri;
  }

  // ---- raw header access ----

  header(name: string): string | undefined {
    const n = canonicalName(name);
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) if (fields[i].name === n) return fields[i].value;
    return undefined;
  }

  /** Every value; list headers (RFC 3261 7.3.1) are split on top-level commas, empty elements skipped. */
  headerValues(name: string): string[] {
    const n = canonicalName(name);
    const list = isListHeader(n);
    const out: string[] = [];
    for (const f of this.fields) {
      if (f.name !== n) continue;
      if (!list) out.push(f.value);
      else for (const v of splitList(f.value)) if (v.length > 0) out.push(v);
    }
    return out;
  }

  hasHeader(name: string): boolean {
    return this.header(name) !== undefined;
  }

  /** Replaces every field of that name by one, at the position of the first. */
  setHeader(name: string, value: string): void {
    const field = makeField(name, value);
    const at = this.fields.findIndex((f) => f.name === field.name);
    this.fields = this.fields.filter((f) => f.name !== field.name);
    this.fields.splice(at === -1 ? this.fields.length : at, 0, field);
    this.invalidate(field.name);
  }

  /** 'first' puts it above the fields of the same name (or at the top), 'last' below them (or at the end). */
  addHeader(name: string, value: string, where: 'first' | 'last' = 'last'): void {
    const field = makeField(name, value);
    let at: number;
    if (where === 'first') {
      at = this.fields.findIndex((f) => f.name === field.name);
      if (at === -1) at = 0;
    } else {
      at = this.fields.length;
      for (let i = this.fields.length - 1; i >= 0; i--) {
        if (this.fields[i].name === field.name) {
          at = i + 1;
          break;
        }
      }
    }
    this.fields.splice(at, 0, field);
    this.invalidate(field.name);
  }

  /** Replaces the value of the n-th field (0 = topmost) of that name, keeping its position. */
  replaceHeader(name: string, occurrence: number, value: string): void {
    const n = canonicalName(name);
    let seen = 0;
    for (let i = 0; i < this.fields.length; i++) {
      if (this.fields[i].name !== n) continue;
      if (seen++ === occurrence) {
        this.fields[i] = makeField(this.fields[i].rawName, value);
        this.invalidate(n);
        return;
      }
    }
    throw new RangeError(`no ${name} header #${occurrence}`);
  }

  /** Removes every field of that name; returns how many there were. */
  removeHeader(name: string): number {
    const n = canonicalName(name);
    const before = this.fields.length;
    this.fields = this.fields.filter((f) => f.name !== n);
    this.invalidate(n);
    return before - this.fields.length;
  }

  headerFields(): ReadonlyArray<HeaderField> {
    return this.fields;
  }

  private invalidate(name: string): void {
    this.index = undefined;
    switch (name) {
      case 'via': this.cVia = undefined; break;
      case 'from': this.cFrom = undefined; break;
      case 'to': this.cTo = undefined; break;
      case 'call-id': this.cCallId = undefined; break;
      case 'cseq': this.cCSeq = undefined; break;
      case 'contact': this.cContacts = undefined; break;
      case 'max-forwards': this.cMaxForwards = null; break;
      case 'expires': this.cExpires = null; break;
      case 'content-length': this.cContentLength = null; break;
      default: this.cache?.delete(name);
    }
  }

  // ---- typed access, lazy and cached ----

  private typed<T>(name: string, parse: Parser<T>): T {
    const cache = this.cache;
    if (cache !== undefined && cache.has(name)) return cache.get(name) as T;
    const value = parse(this);
    (this.cache ??= new Map()).set(name, value);
    return value;
  }

  // The headers every request touches are cached in fields of their own: cheaper than the Map.
  private cVia: Via[] | undefined = undefined;
  private cFrom: FromTo | undefined = undefined;
  private cTo: FromTo | undefined = undefined;
  private cCallId: string | undefined = undefined;
  private cCSeq: CSeq | undefined = undefined;
  private cContacts: Contact[] | '*' | undefined = undefined;
  // For optional headers undefined means absent, so null marks "not parsed yet".
  private cMaxForwards: number | undefined | null = null;
  private cExpires: number | undefined | null = null;
  private cContentLength: number | undefined | null = null;

  /** The single value of a header that must not repeat (RFC 3261 7.3.1); undefined when absent. */
  single(name: string, what: string, slot = -1): string | undefined {
    return this.singleField(name, what, slot)?.value;
  }

  /** The field of `name`, found through the index when it has a slot there and occurs once at most. */
  private singleField(name: string, what: string, slot = -1): StoredField | undefined {
    const index = this.index;
    if (slot >= 0 && index !== undefined && (index[REPEATED] & (1 << slot)) === 0) {
      const at = index[slot];
      return at === -1 ? undefined : this.fields[at];
    }
    let found: StoredField | undefined;
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) {
      if (fields[i].name !== name) continue;
      if (found !== undefined) throw badRequest(`multiple ${what} headers`);
      found = fields[i];
    }
    return found;
  }

  private requiredField(name: string, what: string, slot = -1): StoredField {
    const f = this.singleField(name, what, slot);
    if (f === undefined) throw badRequest(`missing ${what} header`);
    return f;
  }

  /** Every field of a canonical name, with where its value lies for parsing in place. */
  private fieldsNamed(name: string, slot = -1): StoredField[] {
    const index = this.index;
    if (slot >= 0 && index !== undefined && (index[REPEATED] & (1 << slot)) === 0) {
      const at = index[slot];
      return at === -1 ? [] : [this.fields[at]];
    }
    const out: StoredField[] = [];
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) if (fields[i].name === name) out.push(fields[i]);
    return out;
  }

  via(): Via[] {
    if (this.cVia === undefined) {
      const out: Via[] = [];
      for (const f of this.fieldsNamed('via', SLOT.via)) parseViaList(f.source, codesFor(f), f.start, f.end, out);
      this.cVia = out;
    }
    return this.cVia;
  }

  topVia(): Via | undefined {
    return this.via()[0];
  }

  from(): FromTo {
    return (this.cFrom ??= fromTo(this.requiredField('from', 'From', SLOT.from), 'From'));
  }

  to(): FromTo {
    return (this.cTo ??= fromTo(this.requiredField('to', 'To', SLOT.to), 'To'));
  }

  callId(): string {
    if (this.cCallId === undefined) this.cCallId = parseCallId(this.requiredField('call-id', 'Call-ID', SLOT.callId));
    return this.cCallId;
  }

  cseq(): CSeq {
    if (this.cCSeq === undefined) {
      const f = this.requiredField('cseq', 'CSeq', SLOT.cseq);
      this.cCSeq = parseCSeqAt(f.source, codesFor(f), f.start, f.end);
    }
    return this.cCSeq;
  }

  maxForwards(): number | undefined {
    if (this.cMaxForwards === null) this.cMaxForwards = optional(this, 'max-forwards', 'Max-Forwards', parseMaxForwards, SLOT.maxForwards);
    return this.cMaxForwards;
  }

  contacts(): Contact[] | '*' {
    return (this.cContacts ??= parseContacts(this.fieldsNamed('contact', SLOT.contact)));
  }

  expires(): number | undefined {
    if (this.cExpires === null) this.cExpires = optional(this, 'expires', 'Expires', parseExpires, SLOT.expires);
    return this.cExpires;
  }

  minExpires(): number | undefined {
    return this.typed('min-expires', (m) =>
      optional(m, 'min-expires', 'Min-Expires', (v) => parseDeltaSeconds(v, 'Min-Expires')));
  }

  contentLength(): number | undefined {
    if (this.cContentLength === null) {
      this.cContentLength = optional(this, 'content-length', 'Content-Length', parseContentLength, SLOT.contentLength);
    }
    return this.cContentLength;
  }

  contentType(): MediaType | undefined {
    return this.typed('content-type', (m) => optional(m, 'content-type', 'Content-Type', (v) => parseMediaType(v)));
  }

  accept(): MediaType[] {
    return this.typed('accept', (m) => {
      const out: MediaType[] = [];
      for (const v of m.rawValues('accept')) parseMediaTypeList(v, out);
      return out;
    });
  }

  route(): NameAddr[] {
    return this.typed('route', (m) => nameAddrs(m, 'route', 'Route'));
  }

  recordRoute(): NameAddr[] {
    return this.typed('record-route', (m) => nameAddrs(m, 'record-route', 'Record-Route'));
  }

  path(): NameAddr[] {
    return this.typed('path', (m) => nameAddrs(m, 'path', 'Path'));
  }

  authorization(): Credentials[] {
    return this.typed('authorization', (m) => auths(m, 'authorization', 'Authorization'));
  }

  proxyAuthorization(): Credentials[] {
    return this.typed('proxy-authorization', (m) => auths(m, 'proxy-authorization', 'Proxy-Authorization'));
  }

  wwwAuthenticate(): Challenge[] {
    return this.typed('www-authenticate', (m) => auths(m, 'www-authenticate', 'WWW-Authenticate'));
  }

  proxyAuthenticate(): Challenge[] {
    return this.typed('proxy-authenticate', (m) => auths(m, 'proxy-authenticate', 'Proxy-Authenticate'));
  }

  event(): EventHeader | undefined {
    return this.typed('event', (m) => optional(m, 'event', 'Event', parseEvent));
  }

  subscriptionState(): SubscriptionState | undefined {
    return this.typed('subscription-state', (m) =>
      optional(m, 'subscription-state', 'Subscription-State', parseSubscriptionState));
  }

  sipETag(): string | undefined {
    return this.typed('sip-etag', (m) => optional(m, 'sip-etag', 'SIP-ETag', (v) => parseSingleToken(v, 'SIP-ETag')));
  }

  sipIfMatch(): string | undefined {
    return this.typed('sip-if-match', (m) =>
      optional(m, 'sip-if-match', 'SIP-If-Match', (v) => parseSingleToken(v, 'SIP-If-Match')));
  }

  allow(): string[] {
    return this.typed('allow', (m) => tokens(m, 'allow', 'Allow'));
  }

  supported(): string[] {
    return this.typed('supported', (m) => tokens(m, 'supported', 'Supported'));
  }

  require(): string[] {
    return this.typed('require', (m) => tokens(m, 'require', 'Require'));
  }

  proxyRequire(): string[] {
    return this.typed('proxy-require', (m) => tokens(m, 'proxy-require', 'Proxy-Require'));
  }

  date(): Date | undefined {
    return this.typed('date', (m) => optional(m, 'date', 'Date', parseDate));
  }

  /** Field values of a canonical name, unsplit. */
  rawValues(name: string): string[] {
    const out: string[] = [];
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) if (fields[i].name === name) out.push(fields[i].value);
    return out;
  }

  /** Canonical serialization (RFC 3261 7): Content-Length always matches the body. */
  toBuffer(): Buffer {
    return serialize(this);
  }

  /** A copy whose header list and body can be changed independently (e.g. by a proxy, RFC 3261 16.6). */
  clone(): SipMessage {
    const copy = new SipMessage(
      this.kind,
      this.kind === 'request' ? this.method : this.reason,
      this.kind === 'request' ? this.rawUri : this.status,
      this.fields.slice(),
      this.body,
      this.binaryHeaders,
      this.index,
    );
    copy.version = this.version;
    copy.parsedUri = this.parsedUri;
    return copy;
  }
}

function optional<T>(m: SipMessage, name: string, what: string, parse: (v: string) => T, slot = -1): T | undefined {
  const v = m.single(name, what, slot);
  return v === undefined ? undefined : parse(v);
}

function parseExpires(v: string): number {
  return parseDeltaSeconds(v, 'Expires');
}

function parseContentLength(v: string): number {
  return parseBoundedInt(v, 0x7fffffff, 'Content-Length');
}

function fromTo(f: StoredField, what: string): FromTo {
  const na: FromTo = parseNameAddrAt(f.source, codesFor(f), f.start, f.end, what);
  // paramsSeen: the name-addr's parameters were parsed last.
  const tag = (paramsSeen & PARAM.tag) !== 0 ? paramValue(PARAM.tag) : undefined;
  if (tag !== undefined) {
    if (tag === null || tag.length === 0) throw badRequest(`malformed ${what} header (empty tag)`);
    na.tag = tag;
  }
  return na;
}

/** callid = word [ "@" word ] (RFC 3261 25.1); only emptiness, whitespace and controls are rejected. */
function parseCallId(f: StoredField): string {
  if (f.end === f.start) throw badRequest('malformed Call-ID header (empty)');
  const b = codesFor(f);
  for (let i = f.start; i < f.end; i++) {
    const c = b[i];
    if (c <= 32 || c === 127) throw badRequest('malformed Call-ID header (whitespace or control character)');
  }
  return f.value;
}

function parseContacts(fields: StoredField[]): Contact[] | '*' {
  const out: Contact[] = [];
  let star = false;
  for (const f of fields) if (parseContactList(f.source, codesFor(f), f.start, f.end, out)) star = true;
  if (!star) return out;
  // RFC 3261 10.2.2: "*" stands alone.
  if (out.length > 0 || fields.length > 1) throw badRequest('malformed Contact header (* mixed with contacts)');
  return '*';
}

function nameAddrs(m: SipMessage, name: string, what: string): NameAddr[] {
  const out: NameAddr[] = [];
  for (const v of m.rawValues(name)) for (const na of parseNameAddrList(v, what)) out.push(na);
  return out;
}

function auths(m: SipMessage, name: string, what: string): Credentials[] {
  return m.rawValues(name).map((v) => parseAuth(v, what));
}

function tokens(m: SipMessage, name: string, what: string): string[] {
  const out: string[] = [];
  for (const v of m.rawValues(name)) parseTokenList(v, out, what);
  return out;
}
