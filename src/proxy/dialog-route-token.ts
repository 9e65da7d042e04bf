// Our Record-Route, signed. RFC 3261 16 and 22 exempt in-dialog requests from a proxy's challenge and
// relay policy, because the dialog's initial request was checked. A To tag alone proves nothing (any
// sender can write one), nor does a Route naming us (a client may preload it): what proves that a
// request follows a route set we recorded is a Route entry we wrote into a Record-Route. Ours carries
// a parameter with an HMAC of the dialog's Call-ID (16.6 step 4 leaves the URI's parameters to the
// proxy; the UAs copy it unchanged into their route sets, 12.1). Stateless like the nonces: any node
// with the same secret accepts it, and it survives a restart with the data directory.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The Record-Route URI parameter holding the token. */
export const DIALOG_TOKEN_PARAM = 'ss-dlg';

/** Characters of base64url HMAC-SHA256 kept: 96 bits. */
const TOKEN_LENGTH = 16;

export class DialogRouteToken {
  private readonly key: Buffer;

  constructor(secret: Buffer) {
    // A key of its own, so a token can never be mistaken for a nonce or the reverse.
    this.key = createHmac('sha256', secret).update('simplesip record-route token').digest();
  }

  /** The token for the dialog of `callId`. */
  sign(callId: string): string {
    return createHmac('sha256', this.key).update(callId).digest('base64url').slice(0, TOKEN_LENGTH);
  }

  /** Whether `token` (the parameter's value, if any) was signed by us for `callId`. */
  verify(callId: string, token: string | null | undefined): boolean {
    if (typeof token !== 'string') return false;
    const given = Buffer.from(token);
    const expected = Buffer.from(this.sign(callId));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
