// Shared fixtures for the auth tests.
import { computeHa1, DigestServer, type CredentialSource, type DigestAlgorithm, type DigestServerOptions } from '../../src/auth/index.js';
import { parseAuth, SipMessage, type Challenge } from '../../src/sip/index.js';

export const REALM = 'example.com';
export const SECRET = Buffer.alloc(32, 7);

/** A CredentialSource with fixed users: username -> password, all in REALM. */
export function credentials(users: Record<string, string>): CredentialSource {
  return {
    ha1(username: string, realm: string, algorithm: DigestAlgorithm): string | undefined {
      const password = Object.hasOwn(users, username) ? users[username] : undefined;
      return realm === REALM && password !== undefined ? computeHa1(algorithm, username, realm, password) : undefined;
    },
  };
}

/** A settable clock in epoch milliseconds. */
export class Clock {
  constructor(public ms = 1_700_000_000_000) {}
  readonly now = (): number => this.ms;
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export function server(options: Partial<DigestServerOptions> = {}): DigestServer {
  return new DigestServer({ secret: SECRET, credentials: credentials({ alice: 'secret', bob: 'hunter2' }), ...options });
}

export function request(
  method: string,
  requestUri: string,
  auth: Array<[string, string]> = [],
): SipMessage {
  return SipMessage.request({
    method,
    requestUri,
    headers: [
      ['Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1'],
      ['From', `<sip:alice@${REALM}>;tag=1`],
      ['To', `<sip:alice@${REALM}>`],
      ['Call-ID', 'call-1'],
      ['CSeq', `1 ${method}`],
      ...auth,
    ],
  });
}

/** The challenges of a refused outcome, parsed. */
export function challengesOf(headers: Array<[string, string]>): Challenge[] {
  return headers.map(([, value]) => parseAuth(value, 'challenge'));
}
