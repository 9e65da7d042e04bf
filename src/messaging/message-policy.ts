// MESSAGE (RFC 3428) to our users: body size and per-sender rate checked first, then forked to every
// binding (RFC 3428 7: any 200 answers it); when the user has no binding, or every branch failed with
// 404, 408, 430, 480 or 503, the message goes to the offline store and the sender gets 202 Accepted (RFC 3428 7:
// accepted, not yet delivered). Typing indications (RFC 3994) are relayed, never stored.
import { displayName } from '../sip/header-names.js';
import { formatNameAddr } from '../sip/name-addr.js';
import type { SipMessage } from '../sip/message.js';
import { isSipUri } from '../sip/uri.js';
import { aorOf } from '../registrar/binding-key.js';
import type { Answer, Upstream } from '../proxy/response-context.js';
import { IS_COMPOSING_CONTENT_TYPE } from './is-composing.js';
import type { OfflineStore } from './offline-store.js';
import type { RateLimiter } from './rate-limit.js';
import type { TimerHeap } from '../transaction/timer-heap.js';
import type { TransportLogger } from '../transport/types.js';

export interface Refusal {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
}

/**
 * Branch results that mean "not reachable now" rather than "refused": the message waits for the user.
 * 430 (RFC 5626 5.3): the user's outbound flow is gone until the UA registers it again. 404 from a
 * device (RFC 3261 8.2.2.1: not an address it takes requests for): the binding is stale, its address
 * now another UA's (a client killed without un-REGISTER, its port taken by another user's client).
 */
export const STORE_ON: ReadonlySet<number> = new Set([404, 408, 430, 480, 503]);

export interface MessagePolicyOptions {
  /** Largest body accepted, bytes (beyond: 413, RFC 3261 21.4.11). */
  maxBodyBytes: number;
  limiter: RateLimiter;
  offline: OfflineStore;
  /** Counters. */
  onStored?: (aor: string) => void;
  /** A message stored held (see storingUpstream) may be delivered now. */
  onReleased?: (aor: string) => void;
  /** A message was refused because the whole offline store is full (--offline-max-bytes). */
  onStoreFull?: () => void;
  timers: TimerHeap;
  /**
   * A forwarded MESSAGE without a final answer after this long is stored and answered 202 (see
   * storingUpstream); 32*T1, half of Timer F, by default.
   */
  storeAfterMs: number;
  logger?: TransportLogger;
}

function isComposing(request: SipMessage): boolean {
  const t = request.contentType();
  return t !== undefined && `${t.type}/${t.subtype}`.toLowerCase() === IS_COMPOSING_CONTENT_TYPE;
}

/** Headers stored and delivered with the body besides Content-Type (and Content-Length, which the new request gets anew). */
const KEPT_WITH_BODY: ReadonlySet<string> = new Set(['mime-version', 'subject']);

/**
 * The headers that describe the body (RFC 3261 20.11 Content-Disposition, 20.12 Content-Encoding,
 * 20.13 Content-Language, any other Content-*, MIME-Version 20.24) and its Subject (20.36), in the
 * order received: a stored message is delivered with them, as the relayed one would have been
 * (README: "bodies pass through untouched"); without Content-Encoding a gzip body is garbage.
 */
export function bodyHeaders(request: SipMessage): Array<[string, string]> {
  const kept: Array<[string, string]> = [];
  for (const f of request.headerFields()) {
    if (f.name === 'content-type' || f.name === 'content-length') continue;
    if (!f.name.startsWith('content-') && !KEPT_WITH_BODY.has(f.name)) continue;
    kept.push([displayName(f.name) ?? f.rawName, f.value]);
  }
  return kept;
}

/** The sender as stored: From without its tag (the delivered MESSAGE gets a tag of its own). */
function senderOf(request: SipMessage): string {
  const from = request.from();
  const params = new Map(from.params);
  params.delete('tag');
  return formatNameAddr({ displayName: from.displayName, uri: from.uri, params });
}

/**
 * Who a MESSAGE's rate is counted for: the From AOR when it was proved (a user of ours, who had to
 * authenticate), else the source address: a From nobody checked is whatever the sender wrote, and a
 * new one for every request would get a fresh allowance each time.
 */
export function senderKey(request: SipMessage, fromIsProved: boolean, sourceAddress: string): string {
  const from = request.from().uri;
  return fromIsProved && isSipUri(from) ? aorOf(from) : `address ${sourceAddress}`;
}

export class MessagePolicy {
  constructor(private readonly o: MessagePolicyOptions) {}

  /**
   * Size and rate, for every MESSAGE we forward (to our users or, from them, elsewhere). `sender` is
   * who the rate is counted for: see senderKey().
   */
  admit(request: SipMessage, sender: string): Refusal | undefined {
    if (request.body.length > this.o.maxBodyBytes) {
      return { status: 413, reason: `Request Entity Too Large (body over ${this.o.maxBodyBytes} bytes)`, headers: [] };
    }
    const wait = this.o.limiter.take(sender);
    if (wait > 0) {
      return { status: 503, reason: 'Service Unavailable (too many messages from this sender, slow down)', headers: [['Retry-After', String(wait)]] };
    }
    return undefined;
  }

  /** Whether this MESSAGE may wait in the store when its recipient is away. */
  storable(request: SipMessage): boolean {
    return request.method === 'MESSAGE' && !isComposing(request);
  }

  /** Stores the message for `aor`: 202 once durable, 480 with a reason when the mailbox or the whole store is full. */
  async store(request: SipMessage, aor: string): Promise<Refusal> {
    return (await this.storeMessage(request, aor)).refusal;
  }

  private async storeMessage(request: SipMessage, aor: string, held = false): Promise<{ refusal: Refusal; id?: number }> {
    const type = request.header('content-type');
    const outcome = await this.o.offline.store(aor, senderOf(request), type, request.body, bodyHeaders(request), { held });
    if (!outcome.stored) {
      // RFC 3261 21.4.18: the reason phrase of a 480 SHOULD say more precisely why.
      if (outcome.reason === 'store-full') this.o.onStoreFull?.();
      const what = outcome.reason === 'full' ? `mailbox of ${aor} is full` : 'offline message store is full';
      return { refusal: { status: 480, reason: `Temporarily Unavailable (${what}; message not stored)`, headers: [] } };
    }
    this.o.onStored?.(aor);
    return { refusal: { status: 202, reason: 'Accepted (stored for delivery when the user registers)', headers: [] }, id: outcome.message.id };
  }

  /**
   * Wraps the upstream of a forked MESSAGE: a final failure of 404/408/430/480/503 (every branch failed so,
   * 16.7 having picked the best) is turned into storage and a 202.
   * A branch that never answers would end in our own 408 at Timer F (64*T1), but the sender started
   * its Timer F first: it gives up before our answer arrives and is told the message failed although
   * we keep it (RFC 4320 2, 4.2: a proxy's 408 to a non-INVITE request is always too late). So with no
   * final answer after storeAfterMs the message is stored and answered 202 at once. The branch goes
   * on retransmitting until Timer F, so the stored copy is held until it ends: should a branch still
   * answer 2xx, the copy is dropped; otherwise it is released for delivery. Either way the device
   * gets one copy, even when it registers again (or another device does) in between.
   */
  storingUpstream(request: SipMessage, aor: string, upstream: Upstream, reply: (r: Refusal) => void): Upstream {
    if (!this.storable(request)) return upstream;
    let answered = false;
    let storedId: Promise<number | undefined> | undefined;
    const deadline = this.o.timers.schedule(this.o.storeAfterMs, () => {
      if (answered) return;
      answered = true;
      const stored = this.storeMessage(request, aor, true);
      storedId = stored.then((r) => r.id, () => undefined);
      stored.then((r) => reply(r.refusal), () => reply({ status: 500, reason: 'Server Internal Error (the message could not be stored)', headers: [] }));
    });
    return {
      provisional: (response, wire) => { if (!answered) upstream.provisional(response, wire); },
      final: (answer: Answer) => {
        deadline.cancel();
        if (answered) {
          // Delivered after all, after we had stored it: drop the held copy; else it may go now.
          const delivered = answer.status >= 200 && answer.status < 300;
          void storedId?.then((id) => {
            if (id === undefined) return;
            // A delete that fails (a full disk) is logged: left unhandled, it would stop the server.
            if (delivered) {
              this.o.offline.remove(id).catch((err: unknown) =>
                this.o.logger?.warn({ aor, id, err: String(err) }, 'could not delete the stored copy of a message delivered after all'));
              return;
            }
            const released = this.o.offline.release(id);
            if (released !== undefined) this.o.onReleased?.(released);
          });
          return;
        }
        answered = true;
        if (!STORE_ON.has(answer.status)) {
          upstream.final(answer);
          return;
        }
        this.store(request, aor).then(reply, () => upstream.final(answer));
      },
    };
  }
}
