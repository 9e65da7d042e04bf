// Sending a request and answering digest challenges (RFC 3261 22.2, 22.3; RFC 7616).
//
// A request sent again with credentials after a 401/407 is a new transaction: a new branch and
// CSeq + 1 (RFC 3261 8.1.3.5, 22.2); retransmissions inside one transaction keep both (the
// transaction layer repeats the same bytes). Answered challenges are cached and answered again on
// later requests, with the next nc for qop=auth (RFC 7616 3.4): a proxy's (407) for its realm, on
// every request through it (RFC 3261 22.3), a UAS's or registrar's (401) only for requests to the
// same To (22.2): our registrar's answer must not ride along on a MESSAGE to a buddy, who would get
// material for an offline guess at our password. A server that has since retired the nonce says
// stale=true and gets an answer to its fresh nonce.
import { answerChallenge, NonceCounter, pickChallenge } from '../auth/digest-client.js';
import { newBranch } from '../sip/builder.js';
import type { Challenge } from '../sip/headers/auth.js';
import type { SipMessage } from '../sip/message.js';
import { formatUri } from '../sip/uri.js';
import type { TransactionLayer } from '../transaction/transaction-layer.js';
import { TransportError } from '../transport/errors.js';
import type { SendTarget } from '../transport/types.js';
import type { Outcome } from './outcome.js';

export interface DigestCredentials { username: string; password: string }

type AuthHeader = 'Authorization' | 'Proxy-Authorization';

interface Cached {
  header: AuthHeader;
  challenge: Challenge;
  counter: NonceCounter;
  /** For a 401's answer: the To URI it is for (RFC 3261 22.2). */
  to?: string;
}

/** RFC 3261 22.2: one answer per realm and request, plus one for a stale nonce; more is a loop. */
const MAX_ATTEMPTS = 4;

export class AuthenticatingSender {
  /** Keyed by header and realm, and for 401s the To URI. */
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly layer: TransactionLayer,
    private readonly credentials: DigestCredentials | undefined,
    private readonly target: () => SendTarget,
  ) {}

  /**
   * Sends `request` and follows challenges. `nextCSeq` gives the CSeq for each new transaction
   * (the dialog or registration keeps the counter).
   */
  async send(request: SipMessage, nextCSeq: () => number): Promise<Outcome> {
    let current = this.withCachedAnswers(request);
    const answeredFresh = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.once(current);
      if (outcome.status !== 401 && outcome.status !== 407) return outcome;
      const response = outcome.response as SipMessage;
      const header: AuthHeader = outcome.status === 401 ? 'Authorization' : 'Proxy-Authorization';
      const challenge = pickChallenge(outcome.status === 401 ? response.wwwAuthenticate() : response.proxyAuthenticate());
      if (this.credentials === undefined) return { ...outcome, authFailed: true, noCredentials: true };
      if (challenge === undefined || attempt >= MAX_ATTEMPTS) return { ...outcome, authFailed: true };
      const realm = challenge.params.get('realm') ?? '';
      const stale = challenge.params.get('stale')?.toLowerCase() === 'true';
      const to = header === 'Authorization' ? toKey(current) : undefined;
      const key = cacheKey(header, realm, to);
      // RFC 3261 22.2 / RFC 7616 3.3: a new challenge for a realm we just answered, without stale=true, means the credentials are wrong.
      if (answeredFresh.has(key) && !stale) return { ...outcome, authFailed: true };
      answeredFresh.add(key);
      this.cache.set(key, { header, challenge, counter: new NonceCounter(), to });
      current = this.retry(current, nextCSeq());
    }
  }

  /** Forgets cached challenges (a new server target has other nonces). */
  reset(): void {
    this.cache.clear();
  }

  /** RFC 3261 8.1.3.5: a new transaction: new branch, CSeq + 1, the answers to every cached challenge. */
  private retry(previous: SipMessage, cseq: number): SipMessage {
    const next = previous.clone();
    const via = next.headerValues('via')[0];
    next.replaceHeader('via', 0, via.replace(/;\s*branch=[^;,\s]*/i, `;branch=${newBranch()}`));
    next.setHeader('CSeq', `${cseq} ${previous.method}`);
    return this.withCachedAnswers(next);
  }

  private withCachedAnswers(request: SipMessage): SipMessage {
    if (this.credentials === undefined || this.cache.size === 0) return request;
    request.removeHeader('Authorization');
    request.removeHeader('Proxy-Authorization');
    const to = toKey(request);
    for (const c of this.cache.values()) {
      if (c.to !== undefined && c.to !== to) continue;
      // RFC 3261 22.4: the digest uri is the Request-URI.
      request.addHeader(c.header, answerChallenge(c.challenge, this.credentials, request.method as string, request.requestUri, c.counter));
    }
    return request;
  }

  /** One transaction; Timer F is a 408 and a transport error a 503 (RFC 3261 8.1.3.1), both reported. */
  private once(request: SipMessage): Promise<Outcome> {
    return new Promise((resolve) => {
      let tx;
      try {
        tx = this.layer.sendRequest(request, this.target());
      } catch (err) {
        resolve({ status: 503, reason: `Service Unavailable (${(err as Error).message})`, local: 'transport-error' });
        return;
      }
      tx.once('final', (response) => resolve({ status: response.status as number, reason: response.reason as string, response }));
      tx.once('timeout', () => resolve({ status: 408, reason: 'Request Timeout (no response before Timer F)', local: 'timeout' }));
      tx.once('transport-error', (err) => resolve(transportFailure(err)));
      // close() gave up waiting (its timeout): the request is abandoned, and whoever awaits it is told.
      tx.once('disposed', () => resolve({ status: 503, reason: 'Service Unavailable (the user agent closed before an answer came)', local: 'closed' }));
    });
  }
}

/** The To URI a 401's answer is kept for: without tag or display name, so that later requests match. */
function toKey(request: SipMessage): string {
  return formatUri(request.to().uri);
}

function cacheKey(header: AuthHeader, realm: string, to: string | undefined): string {
  return to === undefined ? `${header} ${realm}` : `${header} ${realm} ${to}`;
}

/**
 * A send that failed: a 503 (RFC 3261 8.1.3.1), the server unreachable, except a request too large
 * for one UDP datagram (EMSGSIZE), which no other target would take either: a 513 saying so.
 * RFC 3261 18.1.1 would send such a request over TCP; this client does not switch transports.
 */
function transportFailure(err: Error): Outcome {
  if (err instanceof TransportError && err.code === 'message-too-large') {
    return { status: 513, reason: `Message Too Large (${err.message}: too large for a UDP datagram; use a stream transport such as tcp)`, local: 'too-large' };
  }
  return { status: 503, reason: `Service Unavailable (${err.message})`, local: 'transport-error' };
}
