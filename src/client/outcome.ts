// What became of one request: the final response, or a local 408 / 503 (RFC 3261 8.1.3.1, 17.1.2.2).
import type { SipMessage } from '../sip/message.js';

export interface Outcome {
  status: number;
  reason: string;
  response?: SipMessage;
  /**
   * Set when no response came: Timer F fired (408), the transport failed (503), the request did not
   * fit in a UDP datagram (513), or close() abandoned it (503).
   */
  local?: 'timeout' | 'transport-error' | 'too-large' | 'closed';
  /** Set when our credentials were refused (RFC 3261 22.2: no second try with the same ones). */
  authFailed?: boolean;
  /** Set when a challenge came and we have no password to answer it with. */
  noCredentials?: boolean;
}

export const isSuccess = (o: Outcome): boolean => o.status >= 200 && o.status < 300;

/** A failure the next server target may not have (RFC 3263 4.3): no answer at all. */
export const isUnreachable = (o: Outcome): boolean => o.local === 'timeout' || o.local === 'transport-error';
