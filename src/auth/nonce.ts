// Self-validating nonces (RFC 7616 3.3 leaves the nonce format to the server; RFC 2617 3.2.1 suggests
// a timestamp plus a keyed hash). Any node holding the same secret can check a nonce without shared state.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TIME_BYTES = 8;
const RANDOM_BYTES = 8;
/** HMAC-SHA-256 truncated to 128 bits: forging one still takes 2^128 guesses. */
const MAC_BYTES = 16;
const NONCE_BYTES = TIME_BYTES + RANDOM_BYTES + MAC_BYTES;

export type NonceCheck =
  | { valid: false }
  /** `stale`: genuine but older than the lifetime (or from a clock far ahead), RFC 7616 3.3 stale=true. */
  | { valid: true; issuedAt: number; stale: boolean };

export class NonceIssuer {
  constructor(
    private readonly secret: Buffer,
    private readonly lifetimeMs: number,
    private readonly now: () => number,
  ) {}

  /**
   * base64url(issued-at ms, 8 bytes big-endian | 8 random bytes | MAC over both and the realm).
   * 43 characters from [A-Za-z0-9_-]: safe inside a quoted-string. Binding the realm means a nonce
   * issued for one domain is no good in another.
   */
  issue(realm: string): string {
    const body = Buffer.alloc(TIME_BYTES + RANDOM_BYTES);
    body.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.now()))), 0);
    randomBytes(RANDOM_BYTES).copy(body, TIME_BYTES);
    return Buffer.concat([body, this.mac(body, realm)]).toString('base64url');
  }

  check(nonce: string, realm: string): NonceCheck {
    if (!/^[A-Za-z0-9_-]+$/.test(nonce)) return { valid: false };
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== NONCE_BYTES) return { valid: false };
    const body = raw.subarray(0, TIME_BYTES + RANDOM_BYTES);
    if (!timingSafeEqual(raw.subarray(TIME_BYTES + RANDOM_BYTES), this.mac(body, realm))) return { valid: false };
    const issuedAt = Number(body.readBigUInt64BE(0));
    const age = this.now() - issuedAt;
    // A nonce from the future comes from a node whose clock is ahead; beyond one lifetime, refuse it too.
    return { valid: true, issuedAt, stale: age > this.lifetimeMs || age < -this.lifetimeMs };
  }

  private mac(body: Buffer, realm: string): Buffer {
    return createHmac('sha256', this.secret).update(body).update(realm, 'utf8').digest().subarray(0, MAC_BYTES);
  }
}
