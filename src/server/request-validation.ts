// UAS request inspection, in the order RFC 3261 8.2 gives it: a request that fails a check gets the
// error response that check names, and nothing else happens to it.
import { SipParseError } from '../sip/errors.js';
import type { SipMessage } from '../sip/message.js';
import { ACCEPTED_BODY_TYPES, KNOWN_METHODS, SUPPORTED_EXTENSIONS } from './methods.js';

/** What to answer instead of processing the request. */
export interface Rejection {
  status: number;
  reason: string;
  /** Extra headers of the error response (Unsupported, Accept, ...). */
  headers: Array<[string, string]>;
}

const MANDATORY_HEADERS: ReadonlyArray<[display: string, name: string]> = [
  ['Via', 'via'], ['To', 'to'], ['From', 'from'], ['Call-ID', 'call-id'], ['CSeq', 'cseq'],
];

// Typed accessors for every header the stack understands: calling them surfaces a malformed value as
// a 400 naming the header, instead of a failure deep inside a later layer.
const TYPED_ACCESSORS: ReadonlyArray<[string, (m: SipMessage) => unknown]> = [
  ['via', (m) => m.via()],
  ['from', (m) => m.from()],
  ['to', (m) => m.to()],
  ['call-id', (m) => m.callId()],
  ['cseq', (m) => m.cseq()],
  ['max-forwards', (m) => m.maxForwards()],
  ['contact', (m) => m.contacts()],
  ['expires', (m) => m.expires()],
  ['content-length', (m) => m.contentLength()],
  ['content-type', (m) => m.contentType()],
  ['route', (m) => m.route()],
  ['record-route', (m) => m.recordRoute()],
  ['path', (m) => m.path()],
  ['authorization', (m) => m.authorization()],
  ['proxy-authorization', (m) => m.proxyAuthorization()],
  ['event', (m) => m.event()],
  ['subscription-state', (m) => m.subscriptionState()],
  ['require', (m) => m.require()],
  ['proxy-require', (m) => m.proxyRequire()],
  ['supported', (m) => m.supported()],
  ['accept', (m) => m.accept()],
  ['min-expires', (m) => m.minExpires()],
];

/** Bit of each typed header in a request's presence mask (TYPED_ACCESSORS has fewer than 31 entries). */
const ACCESSOR_BIT = new Map(TYPED_ACCESSORS.map(([name], i) => [name, 1 << i]));

function reject(status: number, reason: string, headers: Array<[string, string]> = []): Rejection {
  return { status, reason, headers };
}

/**
 * Syntax checks that apply to every request, whoever handles it: mandatory headers present (RFC 3261
 * 8.1.1), every known header well formed (RFC 3261 25), the Request-URI parseable.
 * A Date header that does not parse is ignored (RFC 4475 3.1.2.12 asks not to reject it).
 */
export function checkSyntax(request: SipMessage): Rejection | undefined {
  // One pass over the fields says which typed headers are present (a lookup per name would scan them all each time).
  let present = 0;
  for (const field of request.headerFields()) present |= ACCESSOR_BIT.get(field.name) ?? 0;
  for (const [display, name] of MANDATORY_HEADERS) {
    if ((present & (ACCESSOR_BIT.get(name) as number)) === 0) return reject(400, `Bad Request (missing ${display} header)`);
  }
  try {
    request.uri();
    for (let i = 0; i < TYPED_ACCESSORS.length; i++) {
      if ((present & (1 << i)) !== 0) TYPED_ACCESSORS[i][1](request);
    }
  } catch (err) {
    if (err instanceof SipParseError) return reject(err.status, err.reason);
    throw err;
  }
  return undefined;
}

/**
 * RFC 3261 8.2.1, as the UAS only: a method we do not know is 501. A proxy forwards unknown methods
 * like any non-INVITE request (16.2), so this applies to requests the server itself would answer;
 * there it comes before a CSeq mismatch (RFC 4475 3.1.2.18).
 */
export function checkKnownMethod(request: SipMessage): Rejection | undefined {
  return KNOWN_METHODS.has(request.method) ? undefined : reject(501, 'Not Implemented');
}

/** RFC 3261 8.1.1.5: the CSeq method is the request's method. */
export function checkCSeqMethod(request: SipMessage): Rejection | undefined {
  const cseqMethod = request.cseq().method;
  if (cseqMethod !== request.method) {
    return reject(400, `Bad Request (CSeq method ${cseqMethod} does not match ${request.method})`);
  }
  return undefined;
}

/** RFC 3261 8.2.2.1: a Request-URI scheme we cannot handle gets 416. */
export function checkUriScheme(request: SipMessage): Rejection | undefined {
  const scheme = request.uri().scheme;
  if (scheme === 'sip' || scheme === 'sips') return undefined;
  return reject(416, `Unsupported URI Scheme (${scheme})`);
}

/**
 * RFC 3261 8.2.2.3 (as UAS: Require) and 16.3 step 5 (as proxy: Proxy-Require): option tags we do not
 * support are answered 420 with Unsupported listing them. ACK and CANCEL are never rejected so.
 */
export function checkExtensions(request: SipMessage, role: 'uas' | 'proxy'): Rejection | undefined {
  if (request.method === 'ACK' || request.method === 'CANCEL') return undefined;
  const required = role === 'uas' ? request.require() : request.proxyRequire();
  const unsupported = required.filter((tag) => !SUPPORTED_EXTENSIONS.includes(tag));
  if (unsupported.length === 0) return undefined;
  return reject(420, 'Bad Extension', [['Unsupported', unsupported.join(', ')]]);
}

/** RFC 3261 8.2.3: a body of a type the UAS does not understand gets 415 with Accept. */
export function checkBodyType(request: SipMessage): Rejection | undefined {
  if (request.body.length === 0) return undefined;
  const type = request.contentType();
  const mediaType = type ? `${type.type}/${type.subtype}`.toLowerCase() : 'application/sdp';
  if (ACCEPTED_BODY_TYPES.includes(mediaType)) return undefined;
  return reject(415, 'Unsupported Media Type', [['Accept', ACCEPTED_BODY_TYPES.join(', ')]]);
}

/**
 * A REGISTER's To names the address-of-record (RFC 3261 10.3 step 5), which must be a SIP or SIPS
 * URI: anything else is a bad request, answered before any challenge (RFC 4475 3.3.4).
 */
export function checkRegisterAor(request: SipMessage): Rejection | undefined {
  if (request.method !== 'REGISTER') return undefined;
  const scheme = request.to().uri.scheme;
  if (scheme === 'sip' || scheme === 'sips') return undefined;
  return reject(400, `Bad Request (To ${scheme}: URI is not a SIP or SIPS address-of-record)`);
}
