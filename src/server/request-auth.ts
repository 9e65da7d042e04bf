// Who must prove who they are (RFC 3261 22), in which realm, and whether the proven user may act for
// the address-of-record the request names.
import type { DigestServer } from '../auth/digest-server.js';
import type { AuthFailureLimiter } from '../auth/failure-limiter.js';
import type { SpiralProof } from '../proxy/spiral-proof.js';
import type { SipMessage } from '../sip/message.js';
import { canonicalDomain } from '../transport/address.js';
import { normalizeEscapes } from '../sip/uri-equals.js';
import { isSipUri, type SipUri } from '../sip/uri.js';
import { aorOf } from '../registrar/binding-key.js';
import type { LocalIdentity } from './local-identity.js';
import type { TransportProtocol } from '../transport/types.js';
import type { Rejection } from './request-validation.js';
import type { ServerStats } from './stats.js';

/**
 * Out-of-dialog requests our users send through us (the proxy will forward them): challenged with 407
 * (RFC 3261 22.3). ACK and CANCEL never are (RFC 3261 22.1: they cannot be resubmitted); OPTIONS to the
 * server is a capability query or a ping and stays open; in-dialog requests belong to a dialog whose
 * initial request was authenticated, when the caller has proof of that dialog (see `check`).
 */
const PROXY_CHALLENGED: ReadonlySet<string> = new Set(['INVITE', 'MESSAGE', 'PUBLISH', 'SUBSCRIBE', 'REFER']);

interface Target {
  role: 'registrar' | 'proxy';
  /** The AOR the request acts for: To of a REGISTER (RFC 3261 10.3 step 4), From of the others. */
  aor: SipUri;
}

function target(request: SipMessage, identity: LocalIdentity, relay: boolean, provenDialog: boolean): Target | undefined {
  if (relay) {
    // No open relay (RFC 3261 16.3 step 6): whatever the method, only a user of ours who proves it
    // gets a request forwarded to a domain we do not serve. ACK and CANCEL never get here.
    const from = request.from().uri;
    return isSipUri(from) && identity.isLocalDomain(from.host) ? { role: 'proxy', aor: from } : undefined;
  }
  if (request.method === 'REGISTER') {
    const to = request.to().uri;
    return isSipUri(to) ? { role: 'registrar', aor: to } : undefined;
  }
  if (!PROXY_CHALLENGED.has(request.method) || provenDialog) return undefined;
  const from = request.from().uri;
  return isSipUri(from) && identity.isLocalDomain(from.host) ? { role: 'proxy', aor: from } : undefined;
}

/**
 * The realm of an AOR: its host as users are keyed by it (RFC 3261 22.1: the protection domain;
 * 19.1.4 hosts are case-insensitive and compare as addresses). An IPv6 host is canonical
 * (`sip:u6@[0:0:0:0:0:0:0:1]` is challenged in realm "::1", where user u6@::1 lives: the UA answers
 * in the realm we send, RFC 7616 3.4), and an IPv4-mapped host (`sip:dave@[::ffff:127.0.0.1]`) is
 * the IPv4 address it carries, as the AOR itself is (aorOf): the user is dave@127.0.0.1, and no
 * `::ffff:` is written into a challenge. One AOR, one realm, one user.
 */
function realmOf(aor: SipUri): string {
  return canonicalDomain(aor.host);
}

export class RequestAuthorizer {
  /** Requests whose sender proved to be the user of their AOR (a valid digest answer). */
  private readonly proved = new WeakSet<SipMessage>();

  /** `digest` undefined: `--auth off`, every request passes. */
  constructor(
    private readonly digest: DigestServer | undefined,
    private readonly identity: LocalIdentity,
    private readonly stats: ServerStats,
    private readonly failures?: AuthFailureLimiter,
    private readonly spirals?: SpiralProof,
  ) {}

  /**
   * RFC 3261 10.3 steps 3-4 and 22.3: undefined when the request may go on; otherwise the 401/407
   * challenge, or 403 when the authenticated user is not the owner of the AOR. The realm is the AOR's
   * domain, so one server can serve several domains with separate users. `relay`: the request goes
   * to a domain we do not serve, so any method is challenged, in or out of a dialog. `provenDialog`:
   * the request is in a dialog we can vouch for (it came through our signed Record-Route, or we hold
   * the dialog ourselves and check it), so it is not challenged; a To tag alone is no such proof
   * (anyone can write one: a MESSAGE "from" one of our users with a made-up tag is challenged).
   */
  check(request: SipMessage, options: { relay?: boolean; provenDialog?: boolean; source?: string; protocol?: TransportProtocol } = {}): Rejection | undefined {
    if (this.digest === undefined) return undefined;
    const t = target(request, this.identity, options.relay ?? false, (options.provenDialog ?? false) && request.to().tag !== undefined);
    if (t === undefined) return undefined;
    // RFC 3261 16.3 step 4: a spiral is processed again, but its digest answer was consumed on its
    // first pass (22.3); our marked Via from that pass proves its sender (spiral-proof.ts).
    if (t.role === 'proxy' && this.spirals?.proves(request) === true) {
      this.proved.add(request);
      return undefined;
    }
    const source = options.source;
    const banned = source === undefined ? 0 : this.failures?.bannedFor(source) ?? 0;
    if (banned > 0) {
      // Correct answers too: one accepted during the ban would confirm a guess (failure-limiter.ts).
      return { status: 403, reason: `Forbidden (too many failed authentications from this address; try again in ${banned} s)`, headers: [] };
    }
    const realm = realmOf(t.aor);
    // Browser stacks (WebSocket) use the last challenge only, and only MD5 (digest-server.ts ChallengeOrder).
    const webSocket = options.protocol === 'ws' || options.protocol === 'wss';
    const outcome = this.digest.authenticate(request, realm, t.role, webSocket ? 'md5-last' : 'configured');
    if (!outcome.ok) {
      // The first request of every client carries no credentials: that is a challenge, not a failure.
      if (outcome.failure !== 'no-credentials') this.stats.authFailures++;
      // A guess: a wrong password and an unknown user alike, so the count reveals no user.
      if (source !== undefined && (outcome.failure === 'wrong-password' || outcome.failure === 'unknown-user')) this.failures?.failed(source);
      return { status: outcome.status, reason: outcome.reason, headers: outcome.headers };
    }
    const user = t.aor.user === undefined ? undefined : normalizeEscapes(t.aor.user);
    if (user !== outcome.username) {
      const aor = aorOf(t.aor);
      return { status: 403, reason: `Forbidden (${outcome.username} may not act for ${aor})`, headers: [] };
    }
    this.proved.add(request);
    return undefined;
  }

  /** Whether check() saw this request's sender prove who it is (not: exempt from the challenge). */
  authenticated(request: SipMessage): boolean {
    return this.proved.has(request);
  }
}
