// The presence agent (RFC 3856 3: PA and ESC in one): takes PUBLISH (publish-handler.ts) and
// SUBSCRIBE (subscribe-handler.ts) for our users, composes each presentity's state from its
// publications and its registrations (composition.ts), and sends NOTIFYs (notifier.ts) to the
// watchers the policy (authorization-policy.ts) lets see it, one NOTIFY in flight per subscription.
import { keyOfBinding, type LocationService } from '../registrar/location-service.js';
import type { BindingChange } from '../registrar/types.js';
import { reachedOverItsConnection } from '../registrar/binding-record.js';
import { createResponse } from '../sip/builder.js';
import type { SipMessage } from '../sip/message.js';
import { normalizeEscapes } from '../sip/uri-equals.js';
import { formatHostPort, isSipUri, parseUri } from '../sip/uri.js';
import { STORE_RETRY_AFTER_SECONDS, StoreError } from '../store/errors.js';
import type { PresenceRuleRepository, PublicationRepository, SubscriptionRepository } from '../store/types.js';
import type { ServerTransaction } from '../transaction/server-transaction.js';
import type { TimerHeap } from '../transaction/timer-heap.js';
import type { SocketIdentity, TransportLogger } from '../transport/types.js';
import { answer, type Answer } from './answer.js';
import { AuthorizationPolicy, type Authorization, type SameDomain } from './authorization-policy.js';
import { composePresence, neutralPresence, uncappedBytes, type ComposedPresence, type PidfParts } from './composition.js';
import { PRESENCE_EVENT, WATCHERINFO_CONTENT_TYPE } from './event-packages.js';
import type { ExpiresLimits } from './expires-policy.js';
import { Notifier, type NotifierOptions, type NotifyContent } from './notifier.js';
import { PIDF_CONTENT_TYPE } from './pidf.js';
import { PublicationStore, type Publication } from './publication-store.js';
import { handlePublish, malformedHeader } from './publish-handler.js';
import { handleSubscribe, type SubscribeContext } from './subscribe-handler.js';
import { SubscriptionTable, type Subscription } from './subscription-table.js';
import type { PresenceCounts, PresenceView, WatcherView } from './views.js';
import { watcherLimitRefusal, type WatcherLimits } from './watcher-limits.js';
import { composeWatcherinfo, type WatcherEntry } from './winfo.js';

export interface PresenceAgentOptions extends NotifierOptions {
  repositories: { publications: PublicationRepository; subscriptions: SubscriptionRepository; presenceRules: PresenceRuleRepository };
  location: LocationService;
  limits: ExpiresLimits;
  /** Live publications per address-of-record (beyond: 403). */
  maxPublications: number;
  /** Subscriptions per presentity, and of those from watchers it has not allowed (beyond: 403). */
  watcherLimits: WatcherLimits;
  /** True when USER@DOMAIN is a user of ours (a SUBSCRIBE to anyone else is 404). */
  knownUser(username: string, domain: string): boolean;
  /** Whether two AOR domains are one for the default policy (default: the same text). */
  sameDomain?: SameDomain;
  logger: TransportLogger;
  /** Wall clock, epoch milliseconds (default Date.now). */
  now?: () => number;
  timers?: TimerHeap;
  /**
   * Whether a connection is still open (the proxy's flow state). RFC 5626 5.3: an outbound binding
   * stays registered when its connection closes, but reaches nobody until the UA registers that flow
   * again, so it does not count as a device that is there. Default: every connection is open.
   */
  flowOpen?: (connectionId: string) => boolean;
}

/**
 * A PUBLISH or SUBSCRIBE whose write the store refused (it changed nothing): 500 saying so, with when
 * to try again (RFC 3261 21.5.1; store/errors.ts says why a minute).
 */
function storeFailed(method: string): Answer {
  const what = method === 'PUBLISH' ? 'publication' : 'subscription';
  return answer(500, `Server Internal Error (the ${what} could not be stored)`, [['Retry-After', String(STORE_RETRY_AFTER_SECONDS)]]);
}

function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}

export class PresenceAgent {
  private readonly publications: PublicationStore;
  private readonly subscriptions: SubscriptionTable;
  private readonly policy: AuthorizationPolicy;
  private readonly notifier: Notifier;
  private readonly now: () => number;
  private readonly log: TransportLogger;
  /** Last composed document per presentity with presence watchers: unchanged state sends nothing. */
  private readonly lastBody = new Map<string, string>();
  /** Presentities whose state may have changed this turn (composed once, after the turn). */
  private readonly dirty = new Set<string>();
  private flushScheduled = false;
  private notifiesSent = 0;
  private notifyFailures = 0;
  private readonly onChange = (change: BindingChange): void => this.bindingChanged(change);
  private readonly subscribeContext: SubscribeContext;
  /** Subscriptions loaded by restore(), notified by start(). */
  private restored: Subscription[] = [];
  /** Subscriptions whose subscriber's flow is down, by the AOR of its binding (notified when that AOR's bindings change). */
  private readonly waitingForFlow = new Map<string, Set<Subscription>>();

  constructor(private readonly options: PresenceAgentOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.logger;
    this.publications = new PublicationStore(options.repositories.publications, this.log, this.now, options.timers);
    this.subscriptions = new SubscriptionTable(options.repositories.subscriptions, (sub) => this.expired(sub), this.now, options.timers);
    this.policy = new AuthorizationPolicy(options.repositories.presenceRules, options.sameDomain);
    this.notifier = new Notifier(options);
    this.subscribeContext = {
      subscriptions: this.subscriptions,
      limits: options.limits,
      now: this.now,
      knownPresentity: (aor) => {
        // The AOR writes an IPv6 domain in brackets (sip:alice@[::1]); users are stored by bare host.
        const uri = parseUri(aor);
        return isSipUri(uri) && uri.user !== undefined && options.knownUser(normalizeEscapes(uri.user), uri.host);
      },
      overLimit: (presentity, watcher) => watcherLimitRefusal(this.policy.decide(presentity, watcher),
        this.subscriptions.of(presentity).map((s) => this.policy.decide(presentity, s.record.watcher)), options.watcherLimits),
      notify: (sub) => this.notify(sub),
      unsubscribe: async (sub) => {
        if (!(await this.subscriptions.unsubscribe(sub))) return undefined;
        return () => this.ended(sub, 'timeout');
      },
      fetch: (sub) => this.send(sub, () => ({ ...this.content(sub), state: 'terminated', reason: 'timeout', expires: undefined })),
      watchersChanged: (aor) => this.watchersChanged(aor),
    };
    this.publications.on('change', (aor) => this.stateChanged(aor));
    options.location.on('change', this.onChange);
  }

  /** Loads publications, rules and subscriptions (before the sockets open); NOTIFYs wait for start(). */
  async restore(): Promise<{ publications: number; subscriptions: number; rules: number }> {
    const pubs = await this.publications.restore();
    const rules = await this.policy.restore();
    const subs = await this.subscriptions.restore();
    this.restored = subs.restored;
    return { publications: pubs.restored, subscriptions: subs.restored.length, rules };
  }

  /** Once the sockets are open: every restored subscriber gets the current state (it may have changed while we were down). */
  start(): void {
    for (const sub of this.restored) this.notify(sub);
    this.restored = [];
  }

  close(): void {
    this.options.location.off('change', this.onChange);
    this.publications.close();
    this.subscriptions.close();
  }

  /** localHandlers['PUBLISH'] */
  readonly handlePublish = (tx: ServerTransaction, request: SipMessage, source: SocketIdentity): void => {
    this.serve(tx, request, async () => ({
      answer: await handlePublish(request, source, {
        publications: this.publications, limits: this.options.limits, maxPublications: this.options.maxPublications, now: this.now,
        composedBytes: (aor, parts, from, previous) => this.composedBytes(aor, parts, from, previous),
      }),
    }));
  };

  /** localHandlers['SUBSCRIBE'] */
  readonly handleSubscribe = (tx: ServerTransaction, request: SipMessage, source: SocketIdentity): void => {
    this.serve(tx, request, () => handleSubscribe(request, source, this.subscribeContext));
  };

  // ---- operator's view (ctl presence)

  show(aor: string): PresenceView {
    const now = this.now();
    const composed = this.compose(aor);
    return {
      aor,
      basic: composed.basic,
      note: composed.note ?? null,
      devices: this.options.location.lookup(aor).map((b) => ({ contact: b.contact, userAgent: b.userAgent ?? null, expires: seconds(b.expiresAt - now) })),
      publications: this.publications.of(aor).map((p) => ({
        etag: p.record.etag,
        basic: p.parts.basic,
        note: p.parts.notes[0] ?? null,
        expires: seconds(p.record.expiresAt - now),
        source: p.record.source,
        lastModified: new Date(p.record.lastModified).toISOString(),
      })),
      document: composed.body,
    };
  }

  watchers(aor: string): WatcherView[] {
    const now = this.now();
    return this.subscriptions.of(aor).map((s) => ({
      watcher: s.record.watcher,
      event: s.record.event,
      state: this.policy.decide(aor, s.record.watcher),
      expires: seconds(s.record.expiresAt - now),
      target: s.record.routeSet[0] ?? `${s.record.received.protocol} ${formatHostPort(s.record.received.address, s.record.received.port)}`,
      since: new Date(s.record.createdAt).toISOString(),
    }));
  }

  /** `ctl presence allow|block`: durable, then the watcher's subscriptions learn the outcome at once. */
  async setRule(aor: string, watcher: string, decision: 'allow' | 'block'): Promise<void> {
    await this.policy.set(aor, watcher, decision);
    for (const sub of this.subscriptions.of(aor, PRESENCE_EVENT)) if (sub.record.watcher === watcher) this.notify(sub);
    this.watchersChanged(aor);
  }

  /**
   * The user of `aor` was removed (`ctl user rm`): what only he could use goes. Subscriptions to him
   * end with reason `noresource` (RFC 6665 4.2.2: the resource no longer exists, do not subscribe
   * again), his own subscriptions with `rejected` (he is no longer authorized), and his publications
   * and presence rules are deleted, so a user made later under the same name starts clean.
   */
  async forgetUser(aor: string): Promise<{ subscriptions: number; publications: number; rules: number }> {
    // Resolves once all of it is durable: `ctl user rm` answers then, and a crash after its answer
    // must not bring the subscriptions back.
    const ends: Array<Promise<void>> = [];
    for (const sub of [...this.subscriptions.entries()]) {
      if (sub.record.presentity === aor) ends.push(this.terminate(sub, 'noresource'));
      else if (sub.record.watcher === aor) ends.push(this.terminate(sub, 'rejected'));
    }
    const [publications, rules] = await Promise.all([
      this.publications.removeWhere(aor, 'user-removed', () => true), this.policy.forget(aor), ...ends,
    ]);
    if (publications > 0) this.stateChanged(aor);
    return { subscriptions: ends.length, publications, rules };
  }

  counts(): PresenceCounts {
    let winfo = 0;
    for (const s of this.subscriptions.entries()) if (s.record.event !== PRESENCE_EVENT) winfo++;
    return {
      publications: this.publications.size,
      subscriptions: this.subscriptions.size - winfo,
      winfoSubscriptions: winfo,
      notifiesSent: this.notifiesSent,
      notifyFailures: this.notifyFailures,
    };
  }

  // ---- requests

  private serve(tx: ServerTransaction, request: SipMessage, work: () => Promise<{ answer: Answer; after?: () => void }>): void {
    work().then(({ answer: a, after }) => {
      this.respond(tx, request, a);
      after?.();
    }, (err: unknown) => {
      const bad = malformedHeader(err);
      if (bad === undefined) this.log.error({ method: request.method, err: String(err) }, 'presence request failed');
      this.respond(tx, request, bad ?? (err instanceof StoreError ? storeFailed(request.method) : answer(500, 'Server Internal Error')));
    });
  }

  private respond(tx: ServerTransaction, request: SipMessage, a: Answer): void {
    tx.respond(createResponse(request, a.status, a.reason, {
      toTag: a.toTag, headers: [...a.headers, ['Server', this.options.serverName]],
    }));
  }

  // ---- state and fan-out

  /**
   * Each device (transport source) counts with its latest publication only: a client that lost its
   * entity-tag (restart, or a quit that publishes "closed" without SIP-If-Match) must not stay open
   * through its older publication until that one expires.
   */
  private compose(aor: string): ComposedPresence {
    const flowOpen = this.options.flowOpen;
    const registered = this.options.location.bindingsOf(aor).some((b) =>
      flowOpen === undefined || !reachedOverItsConnection(b) || !b.flags.includes('outbound') || flowOpen(b.connectionId as string));
    const seen = new Set<string>();
    const latest = this.publications.of(aor).filter((p) => !seen.has(p.record.source) && seen.add(p.record.source) !== undefined);
    return composePresence(aor, latest.map((p) => p.parts), registered);
  }

  /**
   * The size of the document as it would be with `parts` as the latest publication of `source`
   * (registered: the larger case), before composition's cap: over it, the PUBLISH is 413.
   */
  private composedBytes(aor: string, parts: PidfParts, source: string, previous: Publication | undefined): number {
    const seen = new Set<string>([source]);
    const others = this.publications.of(aor).filter((p) => p !== previous && !seen.has(p.record.source) && seen.add(p.record.source) !== undefined);
    return uncappedBytes(aor, [parts, ...others.map((p) => p.parts)], true);
  }

  /**
   * A binding came or went. A removed binding takes its device's publications with it (same
   * transport source, and no other binding left there); the last binding takes them all. That is
   * how a dead or vanished client goes offline within the dead-contact detection time, not after
   * its publication's lifetime. A binding taken back because its REGISTER could not be stored
   * ('rolled-back') was never there: the state is composed again, and nothing else changes.
   */
  private bindingChanged(change: BindingChange): void {
    const aor = change.binding.aor;
    if (change.type === 'removed' && change.reason !== 'rolled-back') {
      const left = this.options.location.bindingsOf(aor);
      const key = keyOfBinding(change.binding);
      const sameSource = left.some((b) => keyOfBinding(b) === key);
      this.publications.removeWhere(aor, 'device-gone', (p) => left.length === 0 || (p.record.source === key && !sameSource))
        .catch((err: unknown) => this.log.warn({ aor, err: String(err) }, 'could not delete publications from the store'));
    }
    this.stateChanged(aor);
    this.retryWaiting(aor);
  }

  /**
   * A binding of `aor` changed: the subscribers waiting for one of its flows may be reachable again
   * (registered anew over a new connection), or not at all (the binding went). Each gets the current
   * state; one whose flow is still down waits again.
   */
  private retryWaiting(aor: string): void {
    const waiting = this.waitingForFlow.get(aor);
    if (waiting === undefined) return;
    this.waitingForFlow.delete(aor);
    for (const sub of waiting) {
      sub.waitingFor = undefined;
      this.notify(sub);
    }
  }

  /**
   * RFC 5626 4.5: a UA whose flow failed connects again and registers the flow anew, within seconds;
   * meanwhile nothing can reach it (5.3), and a NOTIFY it misses is no failure of the subscription
   * (as Kamailio does, it stays). The current state goes when the flow is registered again.
   */
  private waitForFlow(sub: Subscription, aor: string): void {
    this.stopWaiting(sub);
    sub.waitingFor = aor;
    let set = this.waitingForFlow.get(aor);
    if (set === undefined) this.waitingForFlow.set(aor, set = new Set());
    set.add(sub);
  }

  private stopWaiting(sub: Subscription): void {
    if (sub.waitingFor === undefined) return;
    const set = this.waitingForFlow.get(sub.waitingFor);
    set?.delete(sub);
    if (set?.size === 0) this.waitingForFlow.delete(sub.waitingFor);
    sub.waitingFor = undefined;
  }

  /**
   * A connection closed: the presentities with outbound bindings on it may have no device left that
   * can be reached (a client that vanished over TCP goes offline when the server closes its silent
   * connection, not when its binding expires). Composed after this turn, once the flow state knows.
   */
  flowClosed(connectionId: string): void {
    for (const b of this.options.location.bindingsFrom(connectionId)) this.stateChanged(b.aor);
  }

  private stateChanged(aor: string): void {
    this.dirty.add(aor);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const aors = [...this.dirty];
    this.dirty.clear();
    for (const aor of aors) {
      const subs = this.subscriptions.of(aor, PRESENCE_EVENT);
      if (subs.length === 0) {
        this.lastBody.delete(aor);
        continue;
      }
      const body = this.compose(aor).body;
      if (this.lastBody.get(aor) === body) continue;
      this.lastBody.set(aor, body);
      // Pending and blocked watchers see nothing new: their NOTIFYs never carry the state.
      for (const sub of subs) if (this.policy.decide(aor, sub.record.watcher) === 'active') this.notify(sub);
    }
  }

  private watchersChanged(aor: string): void {
    for (const sub of this.subscriptions.of(aor)) if (sub.record.event !== PRESENCE_EVENT) this.notify(sub);
  }

  /** What the subscription's next NOTIFY says (RFC 3856 6.6.2 for pending and blocked watchers). */
  private content(sub: Subscription): NotifyContent {
    const r = sub.record;
    const expires = seconds(r.expiresAt - this.now());
    if (r.event !== PRESENCE_EVENT) {
      const body = composeWatcherinfo(r.presentity, r.localCseq - 1, this.watcherEntries(r.presentity));
      return { state: 'active', expires, body: { contentType: WATCHERINFO_CONTENT_TYPE, text: body } };
    }
    const auth = this.policy.decide(r.presentity, r.watcher);
    if (auth === 'pending') return { state: 'pending', expires };
    let text: string;
    if (auth === 'blocked') {
      text = neutralPresence(r.presentity);
    } else {
      text = this.lastBody.get(r.presentity) ?? this.compose(r.presentity).body;
      this.lastBody.set(r.presentity, text);
    }
    return { state: 'active', expires, body: { contentType: PIDF_CONTENT_TYPE, text } };
  }

  private watcherEntries(presentity: string): WatcherEntry[] {
    const now = this.now();
    return this.subscriptions.of(presentity, PRESENCE_EVENT).filter((s) => s.stored).map((s) => {
      const auth: Authorization = this.policy.decide(presentity, s.record.watcher);
      return {
        subscriptionId: s.id,
        watcher: s.record.watcher,
        status: auth === 'active' ? 'active' : auth === 'pending' ? 'pending' : 'terminated',
        event: auth === 'active' ? 'approved' : auth === 'pending' ? 'subscribe' : 'rejected',
        expiresIn: seconds(s.record.expiresAt - now),
        subscribedFor: seconds(now - s.record.createdAt),
      };
    });
  }

  /**
   * Sends the current state now, or after the NOTIFY in flight is answered (RFC 6665 4.2.2). Not to
   * a new subscription whose write is pending: it may yet fail and be answered with an error (it
   * gets its first NOTIFY after its 200).
   */
  private notify(sub: Subscription): void {
    if (sub.ended || !sub.stored) return;
    if (sub.inFlight) {
      sub.dirty = true;
      return;
    }
    sub.inFlight = true;
    // The CSeq is taken first: the winfo version (RFC 3858 4.1: 0, then one more per NOTIFY) follows it.
    const cseq = this.subscriptions.nextCseq(sub);
    this.notifier.send(sub.record, cseq, this.content(sub)).then((outcome) => {
      sub.inFlight = false;
      // Ended meanwhile: its terminated NOTIFY waited for this one (RFC 6665 4.2.2), and goes now,
      // unless this one failed, which ended the subscription by itself.
      const last = sub.lastNotify;
      sub.lastNotify = undefined;
      if (outcome.kind === 'flow-down') {
        // Nothing was sent; the state of the moment goes once the flow is back.
        sub.dirty = false;
        if (!sub.ended) this.waitForFlow(sub, outcome.aor);
        last?.();
        return;
      }
      this.notifiesSent++;
      this.stopWaiting(sub);
      if (outcome.kind === 'failed') {
        this.failed(sub);
        return;
      }
      if (last !== undefined) {
        last();
        return;
      }
      if (sub.dirty) {
        sub.dirty = false;
        this.notify(sub);
      }
    }, (err: unknown) => {
      sub.inFlight = false;
      this.log.error({ err: String(err) }, 'NOTIFY could not be built');
      const last = sub.lastNotify;
      sub.lastNotify = undefined;
      last?.();
    });
  }

  /**
   * One NOTIFY outside the in-flight order (a terminated one, or a fetch); failures only count. The
   * content is made once the CSeq is taken: a winfo version follows it (RFC 3858 4.1: a fetch is 0).
   */
  private send(sub: Subscription, content: () => NotifyContent): void {
    const cseq = this.subscriptions.nextCseq(sub);
    this.notifier.send(sub.record, cseq, content()).then((outcome) => {
      this.notifiesSent++;
      if (outcome.kind !== 'delivered') this.notifyFailures++;
    }, (err: unknown) => this.log.error({ err: String(err) }, 'NOTIFY could not be built'));
  }

  /** RFC 6665 4.2.2: a failed NOTIFY (any error response, timeout, transport error) ends the subscription. */
  private failed(sub: Subscription): void {
    this.notifyFailures++;
    // Ended already (unsubscribe, expiry, operator) while this NOTIFY was out: it is out of the table
    // and its winfo watchers were told; once is enough.
    if (sub.ended) return;
    this.log.info({ presentity: sub.record.presentity, watcher: sub.record.watcher }, 'NOTIFY failed: subscription removed');
    this.stopWaiting(sub);
    this.logFailure(sub, this.subscriptions.remove(sub));
    if (sub.record.event === PRESENCE_EVENT) this.watchersChanged(sub.record.presentity);
  }

  private expired(sub: Subscription): void {
    this.logFailure(sub, this.terminate(sub, 'timeout'));
  }

  /** Ends it (memory at once; resolves once the store has deleted it) and sends the last NOTIFY. */
  private terminate(sub: Subscription, reason: string): Promise<void> {
    if (sub.ended) return Promise.resolve();
    const removed = this.subscriptions.remove(sub);
    this.ended(sub, reason);
    return removed;
  }

  /** It has just left the table: its winfo watchers learn it, and it gets its last NOTIFY. */
  private ended(sub: Subscription, reason: string): void {
    this.stopWaiting(sub);
    if (sub.record.event === PRESENCE_EVENT) this.watchersChanged(sub.record.presentity);
    const last = (): void => this.send(sub, () => ({ state: 'terminated', reason }));
    // RFC 6665 4.2.2: one NOTIFY at a time; the terminated one must not overtake one in flight, which
    // ends at worst by Timer F (RFC 3261 17.1.2.2).
    if (sub.inFlight) sub.lastNotify = last;
    else last();
  }

  private logFailure(sub: Subscription, removed: Promise<void>): void {
    removed.catch((err: unknown) =>
      this.log.warn({ presentity: sub.record.presentity, err: String(err) }, 'could not delete a subscription from the store'));
  }
}
