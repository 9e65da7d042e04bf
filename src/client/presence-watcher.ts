// Watching buddies (RFC 3856 presence event package over RFC 6665): one SUBSCRIBE dialog per
// buddy, refreshed before the granted expiry, every NOTIFY answered, and the Subscription-State
// obeyed: pending/active, and terminated with a reason that says whether and when to subscribe
// again (RFC 6665 4.1.3, 4.2.2).
import { newCallId, newTag } from '../sip/builder.js';
import type { SipMessage } from '../sip/message.js';
import { formatNameAddr } from '../sip/name-addr.js';
import { formatUri } from '../sip/uri.js';
import { overallBasic, parsePidf, PIDF_CONTENT_TYPE, type PresenceDocument } from '../presence/pidf.js';
import type { AuthenticatingSender } from './auth-retry.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { isSuccess, type Outcome } from './outcome.js';
import { later, refreshDelayMs } from './refresh-timer.js';
import type { RequestBuilder } from './request-builder.js';
import type { PresenceEvent, SubscriptionStatus } from './types.js';

/** RFC 6665 4.2.2: reasons after which a new subscription makes sense (at once, or after retry-after). */
const RETRY_AT_ONCE = new Set(['deactivated', 'timeout']);
const RETRY_LATER = new Set(['probation', 'giveup']);
/** Failure responses to a SUBSCRIBE that another attempt may cure (no answer, overload, dialog lost). */
const TRANSIENT = new Set([408, 480, 481, 482, 500, 503, 504]);

interface Dialog {
  callId: string;
  fromTag: string;
  toTag?: string;
  remoteTarget?: string;
  routeSet: string[];
  cseq: number;
  /** Our Contact in the last SUBSCRIBE sent in it: the remote target the notifier holds (RFC 3261 12.2.1.1). */
  localContact?: string;
}

class BuddySubscription {
  dialog: Dialog = { callId: newCallId(), fromTag: newTag(), routeSet: [], cseq: 0 };
  status: SubscriptionStatus = 'pending';
  presence: PresenceDocument | undefined;
  timer: NodeJS.Timeout | undefined;
  failures = 0;
  ended = false;
  /** The notifier's Min-Expires from a 423: later SUBSCRIBEs ask for at least that. */
  minExpires = 0;
  /** The answer to the SUBSCRIBE that creates the dialog, while it is in flight. */
  creating: Promise<Outcome> | undefined;
  /** The answer to the latest SUBSCRIBE sent: an older one answered after it decides nothing. */
  latest: Promise<Outcome> | undefined;
  /** NOTIFYs received in this subscription so far: a target refresh expects one more. */
  notifies = 0;
  /** Waits for the NOTIFY that follows a target refresh. */
  notifyWait: NodeJS.Timeout | undefined;

  constructor(readonly buddy: string) {}

  restartDialog(): void {
    this.dialog = { callId: newCallId(), fromTag: newTag(), routeSet: [], cseq: 0 };
  }
}

export interface WatcherOptions {
  expires: number;
  backoff: BackoffOptions;
  /** How long an ended subscription waits for its final NOTIFY: 64*T1, the life of the un-SUBSCRIBE. */
  finalNotifyWaitMs: number;
}

export class PresenceWatcher {
  private readonly subs = new Map<string, BuddySubscription>();
  /**
   * Subscriptions we ended, until their final NOTIFY (RFC 6665 4.1.2.3: the notifier answers the
   * un-SUBSCRIBE with one, Subscription-State: terminated): it gets its 200, not a 481.
   */
  private readonly leaving = new Set<BuddySubscription>();

  constructor(
    private readonly builder: RequestBuilder,
    private readonly sender: AuthenticatingSender,
    private readonly options: WatcherOptions,
    private readonly emit: (event: PresenceEvent) => void,
  ) {}

  get buddies(): PresenceEvent[] {
    return [...this.subs.values()].map((s) => this.snapshot(s));
  }

  subscribe(buddy: string): void {
    if (this.subs.has(buddy)) return;
    const sub = new BuddySubscription(buddy);
    this.subs.set(buddy, sub);
    void this.send(sub, this.options.expires);
  }

  /**
   * RFC 6665 4.1.2.3: SUBSCRIBE with Expires: 0 inside the dialog. While the SUBSCRIBE that creates
   * the dialog is in flight, its answer is waited for: a 2xx gives the dialog (RFC 3261 12.1.2) and
   * the subscription it made is ended; a failure made none (RFC 6665 4.1.2.1), so nothing is sent,
   * unless a NOTIFY came meanwhile and so established the dialog (4.1.2.4).
   */
  async unsubscribe(buddy: string): Promise<Outcome | undefined> {
    const sub = this.subs.get(buddy);
    if (sub === undefined) return undefined;
    this.subs.delete(buddy);
    sub.ended = true;
    clearTimeout(sub.timer);
    // Kept findable meanwhile: a NOTIFY that comes before the 200 gets its 200, not a 481.
    this.leaving.add(sub);
    if (sub.dialog.toTag === undefined && sub.creating !== undefined) {
      const outcome = await sub.creating;
      if (isSuccess(outcome)) this.takeDialog(sub, outcome.response as SipMessage);
    }
    // Not leaving any more: stop() came first, or a NOTIFY said terminated while we waited.
    if (!this.leaving.has(sub) || sub.dialog.toTag === undefined || sub.status === 'terminated') {
      this.leaving.delete(sub);
      return undefined;
    }
    const sent = this.send(sub, 0);
    // After send() began: it clears the subscription's timer first thing, and took this one with it,
    // so a notifier that never sent the final NOTIFY kept the subscription here for good.
    sub.timer = later(this.options.finalNotifyWaitMs, () => this.leaving.delete(sub));
    return sent;
  }

  /** Ends every subscription (un-SUBSCRIBE each); resolves when all are answered. */
  async unsubscribeAll(): Promise<void> {
    await Promise.all([...this.subs.keys()].map((b) => this.unsubscribe(b)));
  }

  stop(): void {
    for (const s of [...this.subs.values(), ...this.leaving]) {
      s.ended = true;
      clearTimeout(s.timer);
      clearTimeout(s.notifyWait);
    }
    this.leaving.clear();
  }

  /**
   * Our Contact changed (a new flow after a dead one, a new local port or address, a NAT rebinding):
   * every dialog whose notifier still holds the old one gets a SUBSCRIBE in the dialog at once, a
   * target refresh request that makes the new Contact its remote target (RFC 6665 4.1.2.1, RFC 3261
   * 12.2.1.1, RFC 5626 4.2 flow recovery). Without it the NOTIFYs keep going to the old Contact,
   * which nobody listens on, and the notifier ends the subscription without our knowing.
   */
  contactChanged(contact: string): void {
    for (const sub of this.subs.values()) {
      if (!sub.ended && sub.dialog.toTag !== undefined && sub.dialog.localContact !== contact) void this.refreshTarget(sub);
    }
  }

  /**
   * RFC 6665 4.2.2: a notifier sends a NOTIFY at once after a successful refresh. When none comes
   * within 64*T1 of a target refresh's 2xx, the notifier had already given up on the subscription
   * (its NOTIFY went to our old Contact before the refresh arrived: a server restarted, waiting for
   * our flow, notifies as soon as we register): the subscription is gone, as an initial one without
   * NOTIFY is (4.1.2.4), so the state is unknown and a new subscription is made at once.
   */
  private async refreshTarget(sub: BuddySubscription): Promise<void> {
    const dialog = sub.dialog;
    const seen = sub.notifies;
    const outcome = await this.send(sub, this.options.expires);
    const gone = (): boolean => sub.ended || sub.dialog !== dialog || sub.notifies !== seen;
    if (!isSuccess(outcome) || gone()) return;
    clearTimeout(sub.notifyWait);
    sub.notifyWait = later(this.options.finalNotifyWaitMs, () => {
      if (gone()) return;
      clearTimeout(sub.timer);
      sub.status = 'terminated';
      sub.presence = undefined;
      this.emit(this.snapshot(sub, 'no NOTIFY after the target refresh'));
      this.resubscribe(sub, 0);
    });
  }

  /** A NOTIFY (RFC 6665 4.1.3): the status to answer; 481 when it belongs to no subscription of ours. */
  receiveNotify(request: SipMessage): number {
    const sub = this.find(request);
    if (sub === undefined) return 481;
    const state = request.subscriptionState();
    if (request.event()?.package.toLowerCase() !== 'presence' || state === undefined) return 489;
    sub.notifies++;
    const d = sub.dialog;
    // RFC 6665 4.1.2.4: a NOTIFY may arrive before the 200 of the SUBSCRIBE and establishes the dialog,
    // its route set taken from the NOTIFY's Record-Route in order, as a UAS does (RFC 3261 12.1.1).
    // So too for one we are ending while its SUBSCRIBE is in flight: the un-SUBSCRIBE goes in that dialog.
    if (d.toTag === undefined) {
      d.toTag = request.from().tag;
      d.routeSet = request.recordRoute().map(formatNameAddr);
    }
    const contact = request.contacts();
    if (contact !== '*' && contact.length > 0) d.remoteTarget = formatUri(contact[0].uri);
    if (sub.ended) {
      // One we ended: its final NOTIFY closes it; nothing in it is news to anybody.
      if (state.state.toLowerCase() === 'terminated') {
        sub.status = 'terminated';
        this.leaving.delete(sub);
        clearTimeout(sub.timer);
      }
      return 200;
    }
    const type = request.contentType();
    if (request.body.length > 0 && type !== undefined && `${type.type}/${type.subtype}`.toLowerCase() === PIDF_CONTENT_TYPE) {
      try {
        sub.presence = parsePidf(request.body.toString('utf8'));
      } catch {
        // A broken document changes nothing we know; the NOTIFY is still answered (RFC 6665 4.1.3).
      }
    }
    clearTimeout(sub.timer);
    if (state.state.toLowerCase() === 'terminated') {
      sub.status = 'terminated';
      // No subscription, no state: unknown until a NOTIFY of the next one says otherwise.
      sub.presence = undefined;
      this.emit(this.snapshot(sub, state.reason));
      this.afterTermination(sub, state.reason?.toLowerCase(), state.retryAfter);
    } else {
      sub.status = state.state.toLowerCase() === 'active' ? 'active' : 'pending';
      if (state.expires !== undefined) sub.timer = later(refreshDelayMs(state.expires), () => void this.send(sub, this.options.expires));
      this.emit(this.snapshot(sub));
    }
    return 200;
  }

  private find(request: SipMessage): BuddySubscription | undefined {
    const callId = request.callId();
    const tag = request.to().tag;
    for (const s of this.subs.values()) if (s.dialog.callId === callId && s.dialog.fromTag === tag) return s;
    for (const s of this.leaving) if (s.dialog.callId === callId && s.dialog.fromTag === tag) return s;
    return undefined;
  }

  private afterTermination(sub: BuddySubscription, reason: string | undefined, retryAfter: number | undefined): void {
    if (sub.ended) return;
    // RFC 6665 4.2.2: no reason, deactivated or timeout: subscribe again at once; probation and
    // giveup: after retry-after (or a backoff); rejected, noresource, invariant: never.
    if (reason === undefined || RETRY_AT_ONCE.has(reason)) return this.resubscribe(sub, 0);
    if (RETRY_LATER.has(reason)) return this.resubscribe(sub, retryAfter !== undefined ? retryAfter * 1000 : backoffDelay(this.options.backoff, sub.failures++));
  }

  private resubscribe(sub: BuddySubscription, delayMs: number): void {
    sub.restartDialog();
    sub.status = 'pending';
    sub.timer = later(delayMs, () => void this.send(sub, this.options.expires));
  }

  private async send(sub: BuddySubscription, wanted: number): Promise<Outcome> {
    clearTimeout(sub.timer);
    const expires = wanted === 0 ? 0 : Math.max(wanted, sub.minExpires);
    const d = sub.dialog;
    const inDialog = d.toTag !== undefined;
    const request = this.builder.build({
      method: 'SUBSCRIBE',
      uri: inDialog && d.remoteTarget !== undefined ? d.remoteTarget : sub.buddy,
      to: inDialog ? `<${sub.buddy}>;tag=${d.toTag}` : `<${sub.buddy}>`,
      fromTag: d.fromTag, callId: d.callId, cseq: ++d.cseq,
      routes: inDialog ? d.routeSet : undefined,
      headers: [['Event', 'presence'], ['Accept', PIDF_CONTENT_TYPE], ['Expires', String(expires)]],
    });
    d.localContact = this.builder.contactUri();
    const answer = this.sender.send(request, () => ++d.cseq);
    if (!inDialog) sub.creating = answer;
    sub.latest = answer;
    const outcome = await answer;
    if (sub.creating === answer) sub.creating = undefined;
    // A later SUBSCRIBE (a target refresh after our Contact changed) was sent meanwhile: its answer
    // decides; this one, likely lost with the old flow, must not end the dialog that one refreshed.
    if (expires === 0 || sub.ended || sub.latest !== answer) return outcome;
    // RFC 6665 4.2.1.1 / RFC 3261 10.2.8: 423 Interval Too Brief: ask again with at least Min-Expires.
    const minExpires = outcome.status === 423 ? outcome.response?.minExpires() : undefined;
    if (minExpires !== undefined && minExpires > expires) {
      sub.minExpires = minExpires;
      return this.send(sub, minExpires);
    }
    if (isSuccess(outcome)) this.established(sub, outcome.response as SipMessage, expires);
    else this.failed(sub, outcome);
    return outcome;
  }

  private established(sub: BuddySubscription, response: SipMessage, asked: number): void {
    sub.failures = 0;
    this.takeDialog(sub, response);
    const granted = response.expires() ?? asked;
    clearTimeout(sub.timer);
    // Our Contact changed while the SUBSCRIBE that made the dialog was on its way: refresh the target now.
    if (sub.dialog.localContact !== this.builder.contactUri()) return void this.send(sub, this.options.expires);
    sub.timer = later(refreshDelayMs(granted), () => void this.send(sub, this.options.expires));
  }

  /** RFC 3261 12.1.2: the dialog's remote tag, target and route set (Record-Route reversed) from the 2xx. */
  private takeDialog(sub: BuddySubscription, response: SipMessage): void {
    const d = sub.dialog;
    if (d.toTag === undefined) {
      d.toTag = response.to().tag;
      d.routeSet = response.recordRoute().reverse().map(formatNameAddr);
    }
    const contact = response.contacts();
    if (contact !== '*' && contact.length > 0) d.remoteTarget = formatUri(contact[0].uri);
  }

  private failed(sub: BuddySubscription, outcome: Outcome): void {
    const inDialog = sub.dialog.toTag !== undefined;
    sub.status = 'terminated';
    // No subscription, no state: what the last NOTIFY said is not shown as if it were still true.
    sub.presence = undefined;
    this.emit(this.snapshot(sub, `${outcome.status} ${outcome.reason}`));
    // RFC 6665 4.1.2.2: a 481 to a refresh: the notifier has no such subscription (it restarted, or
    // gave up on a Contact of ours that was gone); the subscriber makes a new one, in a new dialog,
    // at once: the notifier answered, there is nothing to wait for.
    if (inDialog && outcome.status === 481) return this.resubscribe(sub, 0);
    // RFC 6665 4.1.2.2: a failed refresh ends the subscription; transient failures are retried with backoff.
    if (TRANSIENT.has(outcome.status) || inDialog) this.resubscribe(sub, backoffDelay(this.options.backoff, sub.failures++));
  }

  private snapshot(sub: BuddySubscription, reason?: string): PresenceEvent {
    const doc = sub.presence;
    return {
      buddy: sub.buddy,
      basic: doc === undefined ? 'unknown' : overallBasic(doc),
      note: doc?.notes[0] ?? doc?.tuples.find((t) => t.notes.length > 0)?.notes[0],
      activities: doc?.activities ?? [],
      tuples: doc?.tuples ?? [],
      subscription: sub.status,
      reason,
    };
  }
}
