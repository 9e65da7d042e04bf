// The verifier: challenges (RFC 3261 22.1-22.3, RFC 7616 3.3, RFC 8760) and checks of
// Authorization / Proxy-Authorization (RFC 2617 3.2.2, RFC 7616 3.4, RFC 3261 22.4).
import { randomBytes } from 'node:crypto';
import { formatAuth, SipParseError, type Credentials, type SipMessage } from '../sip/index.js';
import { computeResponse, digestHash, digestsEqual, parseAlgorithm } from './digest-hash.js';
import { digestUriMatches } from './digest-uri.js';
import { NcTracker } from './nc-tracker.js';
import { NonceIssuer } from './nonce.js';
import type { AuthFailure, AuthOutcome, CredentialSource, DigestAlgorithm } from './types.js';

/**
 * 300 s: long enough for clients that keep answering with the last nonce they got (finch answers its
 * un-REGISTER at quit with it), short enough to bound replays of RFC 2069 answers, which carry no nc.
 */
export const DEFAULT_NONCE_LIFETIME_SECONDS = 300;
/** ~100 bytes per record: a few MB at most (see NcTracker for how the bound works). */
export const DEFAULT_MAX_TRACKED_NONCES = 65_536;
/** RFC 7616 3.3 / RFC 8760: one challenge per algorithm, most preferred first; MD5 for the many clients without SHA-256. */
export const DEFAULT_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'];

/**
 * The order of the challenge headers: as configured, or with MD5 last. SIP.js and JsSIP, the browser
 * stacks (so: WebSocket clients), keep only the last challenge header of a response and answer only
 * MD5, where RFC 8760 2.4 wants a client to pick the one it supports; SIPp and libpurple take the
 * first. MD5 last on WebSocket serves both.
 */
export type ChallengeOrder = 'configured' | 'md5-last';

export interface DigestServerOptions {
  /** HMAC key for nonces; nodes sharing it accept each other's nonces. At least 16 bytes. */
  secret: Buffer;
  credentials: CredentialSource;
  nonceLifetimeSeconds?: number;
  /** Algorithms offered, one challenge header each, in this order. */
  algorithms?: DigestAlgorithm[];
  /** Offer qop=auth (default true). Answers without qop (RFC 2069) are accepted either way. */
  qop?: boolean;
  maxTrackedNonces?: number;
  /** Clock in epoch milliseconds (tests move it). */
  now?: () => number;
}

export type AuthRole = 'registrar' | 'proxy';

interface Refusal { ok: false; failure: AuthFailure; stale: boolean }
type Verdict = { ok: true; username: string } | Refusal;

const fail = (failure: AuthFailure, stale = false): Refusal => ({ ok: false, failure, stale });

export class DigestServer {
  private readonly credentials: CredentialSource;
  private readonly algorithms: readonly DigestAlgorithm[];
  private readonly offerQop: boolean;
  private readonly now: () => number;
  private readonly nonces: NonceIssuer;
  private readonly ncs: NcTracker;
  /** Stand-in HA1 for unknown users, so they cost the same hashing as known ones. */
  private readonly dummyHa1: Record<DigestAlgorithm, string>;

  constructor(options: DigestServerOptions) {
    if (options.secret.length < 16) throw new RangeError('nonce secret must be at least 16 bytes');
    const lifetime = options.nonceLifetimeSeconds ?? DEFAULT_NONCE_LIFETIME_SECONDS;
    if (!(lifetime > 0)) throw new RangeError('nonceLifetimeSeconds must be positive');
    const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
    if (algorithms.length === 0 || new Set(algorithms).size !== algorithms.length) {
      throw new RangeError('algorithms must be a non-empty list without repeats');
    }
    this.credentials = options.credentials;
    this.algorithms = [...algorithms];
    this.offerQop = options.qop ?? true;
    this.now = options.now ?? Date.now;
    this.nonces = new NonceIssuer(options.secret, lifetime * 1000, this.now);
    this.ncs = new NcTracker(options.maxTrackedNonces ?? DEFAULT_MAX_TRACKED_NONCES, lifetime * 1000);
    const filler = randomBytes(16).toString('hex');
    this.dummyHa1 = { 'MD5': digestHash('MD5', filler), 'SHA-256': digestHash('SHA-256', filler) };
  }

  /**
   * Checks the request's credentials for `realm`: Authorization for a registrar (401), Proxy-Authorization
   * for a proxy (407), RFC 3261 22.1/22.3. Anything but a verified answer gets a fresh challenge of the same
   * shape, so a scanner cannot tell unknown users from wrong passwords (only `failure` differs, for logs).
   * Not for ACK or CANCEL, which cannot be challenged (RFC 3261 22.1).
   */
  authenticate(request: SipMessage, realm: string, role: AuthRole, order: ChallengeOrder = 'configured'): AuthOutcome {
    let all: Credentials[];
    try {
      all = role === 'registrar' ? request.authorization() : request.proxyAuthorization();
    } catch (err) {
      if (err instanceof SipParseError) return this.challenge(realm, role, fail('malformed'), order);
      throw err;
    }
    // RFC 3261 22.3: credentials for other realms (other proxies on the path) are not ours to judge;
    // an unknown scheme (RFC 4475 torture test regaut01) is no credential at all.
    const digest = all.filter((c) => c.scheme.toLowerCase() === 'digest');
    const ours = digest.filter((c) => c.params.get('realm') === realm);
    if (ours.length === 0) return this.challenge(realm, role, fail(digest.length > 0 ? 'wrong-realm' : 'no-credentials'), order);
    let refusal = fail('malformed');
    for (const [i, credentials] of ours.entries()) {
      const verdict = this.verify(credentials, request, realm);
      if (verdict.ok) return { ok: true, username: verdict.username, realm };
      // The first refusal is reported, unless a later one is stale: that client knew the password and
      // only needs a new nonce.
      if (i === 0 || (verdict.stale && !refusal.stale)) refusal = verdict;
    }
    return this.challenge(realm, role, refusal, order);
  }

  private verify(c: Credentials, request: SipMessage, realm: string): Verdict {
    const username = c.params.get('username');
    const nonce = c.params.get('nonce');
    const uri = c.params.get('uri');
    const response = c.params.get('response');
    if (!username || nonce === undefined || uri === undefined || response === undefined) return fail('malformed');
    const algorithm = parseAlgorithm(c.params.get('algorithm'));
    if (algorithm === undefined || !this.algorithms.includes(algorithm)) return fail('malformed');

    // qop=auth needs nc (8LHEX; libpurple quotes it, the parser has unquoted it) and cnonce (RFC 7616 3.4).
    // No qop at all is the RFC 2069 form, accepted even when qop was offered (libpurple answers so).
    const qopValue = c.params.get('qop');
    let qop: { nc: string; cnonce: string } | undefined;
    if (qopValue !== undefined) {
      const nc = c.params.get('nc');
      const cnonce = c.params.get('cnonce');
      if (qopValue !== 'auth' || nc === undefined || !/^[0-9a-fA-F]{8}$/.test(nc) || cnonce === undefined) {
        return fail('malformed');
      }
      qop = { nc, cnonce };
    }

    const check = this.nonces.check(nonce, realm);
    if (!check.valid) return fail('bad-nonce');
    const ha1 = this.credentials.ha1(username, realm, algorithm);
    const expected = computeResponse({ algorithm, ha1: ha1 ?? this.dummyHa1[algorithm], nonce, method: request.method, uri, qop });
    const correct = digestsEqual(expected, response);
    if (ha1 === undefined) return fail('unknown-user');
    if (!correct) return fail('wrong-password');
    if (!digestUriMatches(uri, request.requestUri)) return fail('wrong-uri');
    // RFC 7616 3.3: stale=true only for a correct answer to an expired nonce.
    if (check.stale) return fail('stale-nonce', true);
    if (qop !== undefined) {
      const seen = this.ncs.use(nonce, check.issuedAt, parseInt(qop.nc, 16), this.now());
      if (seen === 'replayed') return fail('replayed-nc');
      if (seen === 'forgotten') return fail('stale-nonce', true);
    }
    return { ok: true, username };
  }

  private challenge(realm: string, role: AuthRole, { failure, stale }: Refusal, order: ChallengeOrder): AuthOutcome {
    const nonce = this.nonces.issue(realm);
    const name = role === 'registrar' ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const algorithms = order === 'md5-last' && this.algorithms.includes('MD5')
      ? [...this.algorithms.filter((a) => a !== 'MD5'), 'MD5' as const]
      : this.algorithms;
    // RFC 7616 3.3 / RFC 8760: one header per algorithm, same nonce (the nonce does not depend on the algorithm).
    const headers = algorithms.map((algorithm): [string, string] => {
      const params = new Map<string, string>([['realm', realm], ['nonce', nonce], ['algorithm', algorithm]]);
      if (this.offerQop) params.set('qop', 'auth');
      if (stale) params.set('stale', 'true');
      return [name, formatAuth({ scheme: 'Digest', params }, false)];
    });
    return role === 'registrar'
      ? { ok: false, status: 401, reason: 'Unauthorized', headers, failure }
      : { ok: false, status: 407, reason: 'Proxy Authentication Required', headers, failure };
  }
}
