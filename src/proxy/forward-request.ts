// RFC 3261 16.6 steps 1-8: the copy of a request that one branch sends on.
import { hash } from 'node:crypto';
import { MAGIC_COOKIE } from '../sip/builder.js';
import { parseAuth } from '../sip/headers/auth.js';
import type { SipMessage } from '../sip/message.js';
import { newBranch } from '../sip/builder.js';

export interface ForwardSpec {
  /** Step 2: the new Request-URI (undefined: unchanged). */
  requestUri?: string;
  /** Step 4: Record-Route values to add on top, in order. */
  recordRoute: readonly string[];
  /** Step 5 (RFC 3327): Route values to add on top, in order. */
  routes: readonly string[];
  /** Step 8: our Via. */
  via: string;
  /**
   * Realms this proxy authenticates for: their Proxy-Authorization values were for us (RFC 3261 22.3)
   * and are consumed. Required: every forwarded request, the ACK of a 2xx included (it carries the
   * INVITE's credentials, 13.2.2.4), must lose them.
   */
  ownsRealm: (realm: string) => boolean;
}

/**
 * RFC 3261 22.3 / 20.28: a Proxy-Authorization value belongs to the proxy of its realm, which
 * consumes it; the next hop (often the callee's device) has no use for the caller's digest answer,
 * and should not get one to attack offline. Values for other realms stay for the proxies they name.
 */
function consumeCredentials(copy: SipMessage, ownsRealm: (realm: string) => boolean): void {
  const values = copy.rawValues('proxy-authorization');
  if (values.length === 0) return;
  const kept = values.filter((v) => {
    try {
      const realm = parseAuth(v, 'Proxy-Authorization').params.get('realm');
      return realm === undefined || !ownsRealm(realm);
    } catch {
      return true; // not ours to judge: pass it on untouched
    }
  });
  if (kept.length === values.length) return;
  copy.removeHeader('Proxy-Authorization');
  for (const v of kept) copy.addHeader('Proxy-Authorization', v);
}

/**
 * Step 1 copies, step 3 decrements Max-Forwards (70 when absent), then steps 2, 4, 5, 8. The body and
 * every other header go unchanged (content types pass through untouched).
 */
export function forwardCopy(request: SipMessage, spec: ForwardSpec): SipMessage {
  const copy = request.clone();
  if (spec.requestUri !== undefined) copy.requestUri = spec.requestUri;
  const mf = request.maxForwards();
  copy.setHeader('Max-Forwards', String(mf === undefined ? 70 : mf - 1));
  for (let i = spec.routes.length - 1; i >= 0; i--) copy.addHeader('Route', spec.routes[i], 'first');
  for (let i = spec.recordRoute.length - 1; i >= 0; i--) copy.addHeader('Record-Route', spec.recordRoute[i], 'first');
  copy.addHeader('Via', spec.via, 'first');
  consumeCredentials(copy, spec.ownsRealm);
  return copy;
}

/** Our branch prefix: the magic cookie, a marker, then the loop-detection hash (RFC 3261 16.6 step 8). */
const OUR_BRANCH = `${MAGIC_COOKIE}-ss-`;

/**
 * RFC 3261 16.6 step 8 and 16.3 step 4: the part of our branch that is the same every time this very
 * request passes through us: a hash of the Request-URI (as we route it), From and To tags, Call-ID,
 * CSeq number, and the Route (after 16.4 took our own entries off), Proxy-Require and
 * Proxy-Authorization values. Max-Forwards and Via are left out, since a loop changes them. A request
 * that comes back with a shorter route set (preloaded through another element and back to us) is a
 * spiral, not a loop (RFC 3261 6).
 */
export function loopHash(request: SipMessage): string {
  let text = `${request.requestUri}\u0000${request.from().tag ?? ''}\u0000${request.to().tag ?? ''}\u0000${request.callId()}\u0000${request.cseq().seq}`;
  for (const name of ['route', 'proxy-require', 'proxy-authorization']) {
    for (const v of request.rawValues(name)) text += `\u0000${v}`;
  }
  // One-shot hash: a Hash object and its update calls cost more than the digest of these few bytes.
  return hash('sha1', text, 'base64url').slice(0, 16);
}

/**
 * A branch unique to one fork of this request, with its loop-detection hash; `mark`, when the sender
 * proved who it is, lets the request through our challenge if it spirals back (spiral-proof.ts).
 */
export function branchFor(hash: string, mark = ''): string {
  return `${OUR_BRANCH}${hash}-${newBranch().slice(MAGIC_COOKIE.length)}${mark}`;
}

/**
 * RFC 3261 16.3 step 4 (RFC 5393 basics): the request carries a Via of ours whose branch has this
 * request's hash: it came back unchanged, a loop (482). A Via of ours with another hash is a spiral
 * (the request was changed, e.g. retargeted) and goes on. The hash is computed only when a Via of
 * ours is there: most requests have never passed through us.
 */
export function isLoop(request: SipMessage, hashOf: () => string, isOwnSentBy: (host: string, port: number | undefined) => boolean): boolean {
  let wanted: string | undefined;
  for (const via of request.via()) {
    if (via.branch === undefined || !via.branch.startsWith(OUR_BRANCH) || !isOwnSentBy(via.host, via.port)) continue;
    wanted ??= `${OUR_BRANCH}${hashOf()}-`;
    if (via.branch.startsWith(wanted)) return true;
  }
  return false;
}
