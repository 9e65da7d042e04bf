// The client side of digest (RFC 2617 3.2.2, RFC 7616 3.4, RFC 3261 22.2/22.3): used by the client and
// by tests. A challenge with stale=true (RFC 7616 3.3) needs nothing special: answer the new challenge.
import { randomBytes } from 'node:crypto';
import { formatAuth, type Challenge } from '../sip/index.js';
import { computeHa1, computeResponse, parseAlgorithm } from './digest-hash.js';
import type { DigestAlgorithm } from './types.js';

/** nc for successive answers to one nonce: 1, 2, ...; starts again at 1 when the nonce changes (RFC 7616 3.4). */
export class NonceCounter {
  private nonce: string | undefined;
  private count = 0;

  next(nonce: string): number {
    if (nonce !== this.nonce) {
      this.nonce = nonce;
      this.count = 0;
    }
    this.count++;
    return this.count;
  }
}

const PREFERENCE: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'];

/** The Digest challenge to answer: SHA-256 before MD5 (RFC 8760: SHA-256 is the stronger); undefined when none is usable. */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  let best: Challenge | undefined;
  let bestRank = PREFERENCE.length;
  for (const c of challenges) {
    if (c.scheme.toLowerCase() !== 'digest' || c.params.get('realm') === undefined || c.params.get('nonce') === undefined) continue;
    const algorithm = parseAlgorithm(c.params.get('algorithm'));
    const rank = algorithm === undefined ? -1 : PREFERENCE.indexOf(algorithm);
    if (rank >= 0 && rank < bestRank) {
      best = c;
      bestRank = rank;
    }
  }
  return best;
}

/**
 * The Authorization / Proxy-Authorization value answering `challenge` for `method` and `uri` (the
 * Request-URI, RFC 3261 22.4). With qop=auth offered: qop, nc and a fresh cnonce; without: the
 * RFC 2069 form. Throws when the challenge cannot be answered (unknown algorithm, only auth-int).
 */
export function answerChallenge(
  challenge: Challenge,
  creds: { username: string; password: string },
  method: string,
  uri: string,
  nonceCounter: NonceCounter | number,
): string {
  const algorithm = parseAlgorithm(challenge.params.get('algorithm'));
  if (algorithm === undefined) throw new Error(`unsupported digest algorithm ${challenge.params.get('algorithm')}`);
  const realm = challenge.params.get('realm');
  const nonce = challenge.params.get('nonce');
  if (realm === undefined || nonce === undefined) throw new Error('digest challenge without realm or nonce');
  const qopOffer = challenge.params.get('qop');
  const offered = qopOffer === undefined ? [] : qopOffer.split(',').map((q) => q.trim().toLowerCase());
  if (qopOffer !== undefined && !offered.includes('auth')) throw new Error(`unsupported qop ${qopOffer}`);

  const ha1 = computeHa1(algorithm, creds.username, realm, creds.password);
  const params = new Map<string, string>([['username', creds.username], ['realm', realm], ['nonce', nonce], ['uri', uri]]);
  let qop: { nc: string; cnonce: string } | undefined;
  if (qopOffer !== undefined) {
    const count = typeof nonceCounter === 'number' ? nonceCounter : nonceCounter.next(nonce);
    qop = { nc: count.toString(16).padStart(8, '0'), cnonce: randomBytes(12).toString('hex') };
  }
  params.set('response', computeResponse({ algorithm, ha1, nonce, method, uri, qop }));
  params.set('algorithm', algorithm);
  if (qop !== undefined) {
    params.set('qop', 'auth');
    params.set('nc', qop.nc);
    params.set('cnonce', qop.cnonce);
  }
  // RFC 2617 3.2.2: opaque comes back unchanged.
  const opaque = challenge.params.get('opaque');
  if (opaque !== undefined) params.set('opaque', opaque);
  return formatAuth({ scheme: 'Digest', params });
}
