// Header names: canonical lower-case form, compact forms, list headers and display casing.
// Tables are built once at module load.

import { codesOf } from './codes.js';

/** Display casing of every header this package knows; the key is the canonical lower-case name. */
const DISPLAY_NAMES = [
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow',
  'Allow-Events', 'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info', 'Contact',
  'Content-Disposition', 'Content-Encoding', 'Content-Language', 'Content-Length', 'Content-Type',
  'CSeq', 'Date', 'Error-Info', 'Event', 'Expires', 'Flow-Timer', 'From', 'Identity', 'Identity-Info',
  'In-Reply-To', 'Max-Forwards', 'MIME-Version', 'Min-Expires', 'Min-SE', 'Organization', 'Path',
  'Priority', 'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Require', 'Reason', 'Record-Route',
  'Refer-To', 'Referred-By', 'Reject-Contact', 'Reply-To', 'Request-Disposition', 'Require',
  'Retry-After', 'Route', 'Server', 'Service-Route', 'Session-Expires', 'SIP-ETag', 'SIP-If-Match',
  'Subject', 'Subscription-State', 'Supported', 'Timestamp', 'To', 'Unsupported', 'User-Agent', 'Via',
  'Warning', 'WWW-Authenticate',
];

const display = new Map<string, string>(DISPLAY_NAMES.map((n) => [n.toLowerCase(), n]));

/**
 * Compact forms: RFC 3261 7.3.3 (i m e l c f s k t v), RFC 3265 7.2 (o u), RFC 3515 (r),
 * RFC 3892 (b), RFC 4028 (x), RFC 4474 (y), RFC 3841 (a j d).
 */
const COMPACT: Record<string, string> = {
  i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type',
  f: 'from', s: 'subject', k: 'supported', t: 'to', v: 'via', o: 'event', u: 'allow-events',
  r: 'refer-to', b: 'referred-by', x: 'session-expires', y: 'identity', a: 'accept-contact',
  j: 'reject-contact', d: 'request-disposition',
};

/** Headers whose value is a comma-separated list (RFC 3261 7.3.1 and the extension RFCs). */
const LIST_HEADERS = new Set([
  'accept', 'accept-contact', 'accept-encoding', 'accept-language', 'alert-info', 'allow',
  'allow-events', 'call-info', 'contact', 'content-encoding', 'content-language', 'error-info',
  'in-reply-to', 'path', 'proxy-require', 'reason', 'record-route', 'reject-contact',
  'request-disposition', 'require', 'route', 'service-route', 'supported', 'unsupported', 'via',
  'warning',
]);

export interface NameInfo {
  /** Canonical lower-case name. */
  readonly name: string;
  /** True for headers this package knows (serialized with canonical casing). */
  readonly known: boolean;
  /** Position in INDEXED_NAMES, -1 for the other headers. */
  readonly slot: number;
}

/**
 * Headers that nearly every message has and every request handler reads: the parser notes where they
 * are while framing, so that their accessors need not search the header list (see SipMessage).
 */
export const INDEXED_NAMES = ['via', 'from', 'to', 'call-id', 'cseq', 'contact', 'max-forwards', 'expires', 'content-length'];

/** Their slots, in the order of INDEXED_NAMES. */
export const SLOT = {
  via: 0, from: 1, to: 2, callId: 3, cseq: 4, contact: 5, maxForwards: 6, expires: 7, contentLength: 8,
} as const;

/** A header name of the message text, with its canonical form; the raw name is sliced only when unusual. */
export interface MatchedName {
  readonly rawName: string;
  readonly info: NameInfo;
}

/**
 * Known names and compact forms by length, for matching a name inside the message text without
 * slicing it first (the parser does this for every header line). `rawName` is the usual spelling,
 * returned when the text has exactly that casing, so that no string is allocated.
 */
interface KnownName extends MatchedName {
  /** The name in lower case, with its own MatchedName so that a lower-case spelling allocates nothing. */
  readonly lower: MatchedName;
  /** Char codes of rawName and of lower.rawName, compared with the message's codes. */
  readonly codes: Uint8Array;
  readonly lowerCodes: Uint8Array;
}

const byLength: KnownName[][] = [];
/** The usual spellings by length and first character: usually one candidate to compare. */
const byLengthAndFirst: KnownName[][] = [];

function spellingKey(length: number, first: number): number {
  return length < 32 && first < 128 ? (length << 7) | first : -1;
}

function addKnown(display: string, canonical: string): void {
  const i = info(canonical);
  const lower = display.toLowerCase();
  const k: KnownName = {
    rawName: display,
    info: i,
    lower: { rawName: lower, info: i },
    codes: Buffer.from(display, 'latin1'),
    lowerCodes: Buffer.from(lower, 'latin1'),
  };
  (byLength[display.length] ??= []).push(k);
  (byLengthAndFirst[spellingKey(display.length, display.charCodeAt(0))] ??= []).push(k);
  if (lower !== display) (byLengthAndFirst[spellingKey(lower.length, lower.charCodeAt(0))] ??= []).push(k);
}

function info(name: string): NameInfo {
  return { name, known: display.has(name), slot: INDEXED_NAMES.indexOf(name) };
}

for (const [lower, name] of display) addKnown(name, lower);
for (const [short, long] of Object.entries(COMPACT)) addKnown(short, long);

/** The char codes b[start, ...) equal `lower` ignoring ASCII letter case; `lower` holds letters and `-` only. */
function sameIgnoringCase(b: Buffer, start: number, lower: Uint8Array): boolean {
  for (let k = 0; k < lower.length; k++) {
    const c = b[start + k];
    const l = lower[k];
    // Folding with | 0x20 is only right for letters: it would also turn CR (0x0d) into `-` (0x2d).
    if (c !== l && !(l >= 97 && (c | 0x20) === l)) return false;
  }
  return true;
}

function sameExactly(b: Buffer, start: number, s: Uint8Array): boolean {
  for (let k = 0; k < s.length; k++) if (b[start + k] !== s[k]) return false;
  return true;
}

/**
 * Canonical form of the name text[start, end) (char codes b, see codes.ts) when it is a known name or
 * compact form in any case; undefined otherwise. The raw name is the text itself (shared with the
 * table when spelled as usual).
 */
export function matchKnownName(text: string, b: Buffer, start: number, end: number): MatchedName | undefined {
  const usual = byLengthAndFirst[spellingKey(end - start, b[start])];
  if (usual !== undefined) {
    for (let n = 0; n < usual.length; n++) {
      const k = usual[n];
      if (sameExactly(b, start, k.codes)) return k;
      if (sameExactly(b, start, k.lowerCodes)) return k.lower;
    }
  }
  const candidates = byLength[end - start];
  if (candidates === undefined) return undefined;
  for (let n = 0; n < candidates.length; n++) {
    const k = candidates[n];
    if (!sameIgnoringCase(b, start, k.lowerCodes)) continue;
    if (sameExactly(b, start, k.lowerCodes)) return k.lower;
    return { rawName: text.slice(start, end), info: k.info };
  }
  return undefined;
}

/**
 * Raw name as written -> canonical name, for callers holding a name as a string (literals hash once).
 * Seeded with the table above, then filled as names are seen, up to a bound so that a peer sending
 * random names cannot grow it without limit.
 */
const seen = new Map<string, NameInfo>();
const SEEN_LIMIT = 4096;

for (const entries of byLength) {
  for (const k of entries ?? []) {
    seen.set(k.rawName, k.info);
    seen.set(k.lower.rawName, k.info);
  }
}

/** Canonical name and whether it is known, for a header name in any case or compact form. */
export function lookupName(raw: string): NameInfo {
  const hit = seen.get(raw);
  if (hit !== undefined) return hit;
  const known = matchKnownName(raw, codesOf(raw), 0, raw.length);
  const lower = raw.toLowerCase();
  const result = known?.info ?? info(lower.length === 1 ? (COMPACT[lower] ?? lower) : lower);
  if (seen.size < SEEN_LIMIT) seen.set(raw, result);
  return result;
}

/** Canonical lower-case name for a header name in any case or compact form. */
export function canonicalName(raw: string): string {
  return lookupName(raw).name;
}

/** Display casing for serialization; undefined for headers this package does not know. */
export function displayName(canonical: string): string | undefined {
  return display.get(canonical);
}

export function isKnownHeader(canonical: string): boolean {
  return display.has(canonical);
}

export function isListHeader(canonical: string): boolean {
  return LIST_HEADERS.has(canonical);
}
