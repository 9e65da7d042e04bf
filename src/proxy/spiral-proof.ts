// Proof, carried in our Via branch, that a request's sender answered our digest challenge when the
// request last passed through us. A request preloaded through another element and back to us is a
// spiral (RFC 3261 6, 16.3 step 4): it must be processed again like any request, but its digest answer
// was consumed on its first pass (22.3), so a second challenge could never be answered, and the
// caller would be challenged for ever. Each pass we forward after a proven sender carries this mark;
// the pass that comes back with it is let through as proven.
//
// The mark is an HMAC over the request's identity (Call-ID, From tag and AOR, CSeq) and the time it
// was made, so a Via cannot be forged, and copying a seen one helps only with the same Call-ID, From
// and CSeq, within a short window. Stateless like the nonces: any node with the same secret accepts it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { aorOf } from '../registrar/binding-key.js';
import type { SipMessage } from '../sip/message.js';
import { isSipUri } from '../sip/uri.js';

/** Characters of base64url HMAC-SHA256 kept: 96 bits. */
const MAC_LENGTH = 16;
/**
 * How old a mark may be: a spiral comes back within milliseconds, and a request older than 64*T1
 * (32 s, Timer B/F) has been given up by its sender anyway. A little leeway for nodes whose clocks differ.
 */
const MAX_AGE_SECONDS = 32;
const CLOCK_LEEWAY_SECONDS = 5;
/** `.p<seconds, base 36>.<mac>` at the end of a branch (token characters, RFC 3261 25.1). */
const MARK = /\.p([0-9a-z]{1,10})\.([A-Za-z0-9_-]{16})$/;

export class SpiralProof {
  private readonly key: Buffer;

  constructor(secret: Buffer, private readonly nowMs: () => number = Date.now) {
    // A key of its own, so a mark can never be mistaken for a nonce or a Record-Route token.
    this.key = createHmac('sha256', secret).update('simplesip spiral proof').digest();
  }

  /** The suffix of our branch for a request whose sender proved to be the user of its From AOR. */
  mark(request: SipMessage): string {
    const at = Math.floor(this.nowMs() / 1000).toString(36);
    return `.p${at}.${this.mac(request, at)}`;
  }

  /**
   * Whether one of the request's Vias is a branch of ours marked for this very request (same
   * Call-ID, From and CSeq) within the last 32 s: its sender proved who it is on an earlier pass.
   */
  proves(request: SipMessage): boolean {
    const now = Math.floor(this.nowMs() / 1000);
    for (const via of request.via()) {
      const m = via.branch === undefined ? null : MARK.exec(via.branch);
      if (m === null) continue;
      const age = now - parseInt(m[1], 36);
      if (age > MAX_AGE_SECONDS || age < -CLOCK_LEEWAY_SECONDS) continue;
      const given = Buffer.from(m[2]);
      const expected = Buffer.from(this.mac(request, m[1]));
      if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
    }
    return false;
  }

  private mac(request: SipMessage, at: string): string {
    const from = request.from();
    const cseq = request.cseq();
    const aor = isSipUri(from.uri) ? aorOf(from.uri) : '';
    const text = [at, request.callId(), from.tag ?? '', aor, cseq.seq, cseq.method].join('\u0000');
    return createHmac('sha256', this.key).update(text).digest('base64url').slice(0, MAC_LENGTH);
  }
}
