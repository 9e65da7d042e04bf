// PUBLISH processing (RFC 3903 6, for the presence package of RFC 3856 with PIDF bodies, RFC 3863):
// initial publication, refresh, modify and removal, each step answering what the RFC says.
import { aorOf, sourceKey } from '../registrar/binding-key.js';
import { SipParseError } from '../sip/errors.js';
import type { SipMessage } from '../sip/message.js';
import { isSipUri } from '../sip/uri.js';
import type { SocketIdentity } from '../transport/types.js';
import { answer, type Answer } from './answer.js';
import { MAX_DOCUMENT_BYTES, splitPidf, type PidfParts } from './composition.js';
import { PRESENCE_EVENT } from './event-packages.js';
import { decideExpires, type ExpiresLimits } from './expires-policy.js';
import { PidfError, PIDF_CONTENT_TYPE } from './pidf.js';
import { newEntityTag, type Publication, type PublicationStore } from './publication-store.js';

export interface PublishContext {
  publications: PublicationStore;
  limits: ExpiresLimits;
  /** Live publications per address-of-record (--max-publications). */
  maxPublications: number;
  now(): number;
  /** Bytes of the document watchers of `aor` would get with `parts` from `source` (replacing `previous`). */
  composedBytes(aor: string, parts: PidfParts, source: string, previous: Publication | undefined): number;
}

/** RFC 3903 6 step 4 (and RFC 3261 21.4.21): the body type we take, in Accept of a 415. */
function unsupportedType(type: string): Answer {
  return answer(415, `Unsupported Media Type (${type}; presence takes ${PIDF_CONTENT_TYPE})`, [['Accept', PIDF_CONTENT_TYPE]]);
}

function parseBody(request: SipMessage): PidfParts | Answer {
  const type = request.contentType();
  const name = type === undefined ? 'no Content-Type' : `${type.type}/${type.subtype}`.toLowerCase();
  if (name !== PIDF_CONTENT_TYPE) return unsupportedType(name);
  try {
    return splitPidf(request.body.toString('utf8'));
  } catch (err) {
    if (err instanceof PidfError) return answer(400, `Bad Request (${err.message.replace(/[\r\n]+/g, ' ').slice(0, 200)})`);
    throw err;
  }
}

function isAnswer(x: PidfParts | Answer): x is Answer {
  return 'status' in x;
}

/**
 * RFC 3261 21.4.3: more publications than the AOR may have. 403, as for --max-contacts: a quota of
 * the AOR, not the server overloaded (21.5.4: 503 would send the client to another server).
 */
function tooManyPublications(max: number): Answer {
  return answer(403, `Forbidden (too many publications: at most ${max} per address-of-record; change one with SIP-If-Match)`);
}

function granted(etag: string, seconds: number): Answer {
  // RFC 3903 6 step 8: the 2xx carries the new entity-tag and the granted interval.
  return answer(200, 'OK', [['SIP-ETag', etag], ['Expires', String(seconds)]]);
}

export async function handlePublish(request: SipMessage, source: SocketIdentity, ctx: PublishContext): Promise<Answer> {
  const uri = request.uri();
  const from = request.from().uri;
  if (!isSipUri(uri) || uri.user === undefined || !isSipUri(from)) return answer(404, 'Not Found (no presentity in the Request-URI)');
  const aor = aorOf(uri);
  // RFC 3903 6 step 2: only the presentity itself may publish its state here.
  if (aorOf(from) !== aor) return answer(403, `Forbidden (${aorOf(from)} may not publish the state of ${aor})`);
  // RFC 3903 6 step 3: an Event package this ESC does not know is 489 with Allow-Events.
  const event = request.event();
  if (event?.package.toLowerCase() !== PRESENCE_EVENT) {
    return answer(489, `Bad Event (${event?.package ?? 'no Event header'}; PUBLISH takes presence)`, [['Allow-Events', PRESENCE_EVENT]]);
  }
  // RFC 3903 6 step 4: SIP-If-Match names the publication refreshed, modified or removed; 412 when unknown.
  const ifMatch = request.sipIfMatch();
  const previous = ifMatch === undefined ? undefined : ctx.publications.get(ifMatch);
  if (ifMatch !== undefined && (previous === undefined || previous.record.aor !== aor)) {
    return answer(412, 'Conditional Request Failed (unknown or expired entity-tag)');
  }
  // RFC 3903 6 step 5: Expires 0 removes (never 423), short intervals 423, long ones are shortened.
  const expires = decideExpires(request.expires(), ctx.limits);
  if (expires.kind === 'remove') {
    if (previous === undefined) return answer(400, 'Bad Request (Expires: 0 without SIP-If-Match removes nothing)');
    await ctx.publications.remove(previous, 'unpublished');
    return answer(200, 'OK', [['SIP-ETag', previous.record.etag], ['Expires', '0']]);
  }
  if (expires.kind === 'too-brief') return answer(423, 'Interval Too Brief', [['Min-Expires', String(expires.min)]]);
  // RFC 3903 6 step 6: an initial publication needs a body; a refresh has none, a modify replaces it.
  const hasBody = request.body.length > 0;
  if (!hasBody && previous === undefined) return answer(400, 'Bad Request (an initial PUBLISH needs a body)');
  const parts = hasBody ? parseBody(request) : previous?.parts;
  if (parts === undefined) return answer(500, 'Server Internal Error');
  if (isAnswer(parts)) return parts;
  const sourceKeyText = sourceKey(source.protocol, source.remote.address, source.remote.port, source.connectionId);
  const bytes = hasBody ? ctx.composedBytes(aor, parts, sourceKeyText, previous) : 0;
  if (bytes > MAX_DOCUMENT_BYTES) {
    // RFC 3261 21.4.11; the watchers keep the state they have (composition.ts, MAX_DOCUMENT_BYTES).
    return answer(413, `Request Entity Too Large (the composed presence document would be ${bytes} bytes, over the ${MAX_DOCUMENT_BYTES} a NOTIFY over UDP can carry)`);
  }
  // An initial PUBLISH from a source replaces that source's earlier publications: composition counts
  // only a source's latest (presence-agent.ts), so they are dead weight, and would show stale state
  // again once the latest expires or is removed. How publications combine is the ESC's own policy
  // (RFC 3903 4); each replaced one is gone as if expired (RFC 3903 6 step 4: its tag then gets 412).
  const replaced = previous !== undefined ? [previous] : ctx.publications.fromSource(aor, PRESENCE_EVENT, sourceKeyText);
  // Checked after the last await before put(): concurrent PUBLISHes cannot all pass at the cap.
  if (ctx.publications.countOf(aor) - replaced.length >= ctx.maxPublications) return tooManyPublications(ctx.maxPublications);
  const now = ctx.now();
  const etag = newEntityTag();
  await ctx.publications.put({
    etag,
    aor,
    event: PRESENCE_EVENT,
    expiresAt: now + expires.seconds * 1000,
    contentType: PIDF_CONTENT_TYPE,
    body: hasBody ? request.body.toString('utf8') : previous?.record.body ?? '',
    source: sourceKeyText,
    lastModified: hasBody || previous === undefined ? now : previous.record.lastModified,
  }, parts, replaced);
  return granted(etag, expires.seconds);
}

/** True when the request is one this module should answer with a 400 (a header it needs is malformed). */
export function malformedHeader(err: unknown): Answer | undefined {
  return err instanceof SipParseError ? answer(400, err.reason) : undefined;
}
