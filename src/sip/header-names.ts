// Header names: canonical lower-case form, compact forms, list headers and display casing.
// Tables are built once at module load.

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
}

/**
 * Raw name as written -> canonical name. Seeded with the usual spellings, then filled as names are
 * seen, up to a bound so that a peer sending random names cannot grow it without limit.
 */
const seen = new Map<string, NameInfo>();
const SEEN_LIMIT = 4096;

function info(name: string): NameInfo {
  return { name, known: display.has(name) };
}

for (const [lower, name] of display) {
  const i = info(lower);
  seen.set(name, i);
  seen.set(lower, i);
}
for (const [short, long] of Object.entries(COMPACT)) {
  seen.set(short, info(long));
  seen.set(short.toUpperCase(), info(long));
}
for (const variant of ['Call-Id', 'Cseq', 'Www-Authenticate', 'Sip-Etag', 'Sip-If-Match', 'CSEQ', 'Call-id']) {
  seen.set(variant, info(variant.toLowerCase()));
}

/** Canonical name and whether it is known, for a header name in any case or compact form. */
export function lookupName(raw: string): NameInfo {
  const hit = seen.get(raw);
  if (hit !== undefined) return hit;
  const lower = raw.toLowerCase();
  const result = info(lower.length === 1 ? (COMPACT[lower] ?? lower) : lower);
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
