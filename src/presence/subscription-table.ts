// Subscriptions the presence agent serves as notifier (RFC 6665 4.2): by dialog id, by presentity,
// expiring on the shared timer heap, written through to the store so that they survive a restart.
import { ExpiryWheel } from '../registrar/expiry.js';
import type { SubscriptionRecord, SubscriptionRepository } from '../store/types.js';
import { sharedTimerHeap, type TimerHeap } from '../transaction/timer-heap.js';

/**
 * The NOTIFY CSeq is written to the store at least every CSEQ_CHECKPOINT NOTIFYs (not on each: a
 * fan-out to 10,000 watchers would be 10,000 writes), and a restored subscription continues that far
 * above the stored value, so its CSeq still only grows (RFC 3261 12.2.1.1).
 */
export const CSEQ_CHECKPOINT = 100;

/** RFC 3261 12: a dialog is Call-ID, local tag and remote tag. */
export function dialogId(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\u0000${localTag}\u0000${remoteTag}`;
}

/** What a refresh changes: its expiry, and where NOTIFYs go (it may come from a new address or connection). */
export type SubscriptionRefresh = Pick<SubscriptionRecord, 'expiresAt' | 'remoteTarget' | 'received' | 'connectionId' | 'listener'>;

/** One subscription and what its notifier is doing right now. */
export class Subscription {
  /** A NOTIFY is out without a final response: RFC 6665 4.2.2 sends the next one after it. */
  inFlight = false;
  /** State changed while a NOTIFY was out: send the current state once it is answered. */
  dirty = false;
  /** Its terminated NOTIFY, held until the one in flight is answered (RFC 6665 4.2.2). */
  lastNotify: (() => void) | undefined = undefined;
  /** Removed from the table (ended by expiry, unsubscribe, a failed NOTIFY or the operator). */
  ended = false;
  /** The AOR whose RFC 5626 flow this subscriber is reached over, while that flow is down. */
  waitingFor: string | undefined;
  /** In the store: false while the write of a new subscription is pending (it gets no NOTIFY yet). */
  stored = true;

  constructor(public record: SubscriptionRecord) {}

  get id(): string {
    return this.record.id;
  }
}

export class SubscriptionTable {
  private readonly byId = new Map<string, Subscription>();
  private readonly byPresentity = new Map<string, Set<Subscription>>();
  private readonly owners = new WeakMap<SubscriptionRecord, Subscription>();
  private readonly expiry: ExpiryWheel<SubscriptionRecord>;

  constructor(
    private readonly repository: SubscriptionRepository,
    onExpire: (sub: Subscription) => void,
    private readonly now: () => number = Date.now,
    timers: TimerHeap = sharedTimerHeap(),
  ) {
    this.expiry = new ExpiryWheel(timers, now, (r) => {
      const sub = this.owners.get(r);
      if (sub !== undefined) onExpire(sub);
    });
  }

  /**
   * Loads stored subscriptions (server start); expired ones are deleted. The CSeq raised past the
   * checkpoint is stored at once: otherwise each restart would start from the same stored number.
   */
  async restore(): Promise<{ restored: Subscription[]; dropped: number }> {
    const restored: Subscription[] = [];
    const drops: Array<Promise<void>> = [];
    const writes: Array<Promise<void>> = [];
    for (const record of await this.repository.all()) {
      if (record.expiresAt <= this.now()) {
        drops.push(this.repository.remove(record.id));
        continue;
      }
      record.localCseq += CSEQ_CHECKPOINT;
      writes.push(this.repository.put(record));
      const sub = new Subscription(record);
      this.insert(sub);
      restored.push(sub);
    }
    await Promise.all([...drops, ...writes]);
    return { restored, dropped: drops.length };
  }

  get(id: string): Subscription | undefined {
    return this.byId.get(id);
  }

  /** Subscriptions to one presentity, of one event package or all. */
  of(presentity: string, event?: string): Subscription[] {
    const set = this.byPresentity.get(presentity);
    if (set === undefined) return [];
    const all = [...set];
    return event === undefined ? all : all.filter((s) => s.record.event === event);
  }

  *entries(): IterableIterator<Subscription> {
    yield* this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * Adds a new subscription: in memory at once (the next SUBSCRIBE counts it against the watcher
   * limits), then to the store; resolves once durable. When the write fails it is taken out again:
   * RFC 6665 4.1.2.1, a SUBSCRIBE answered with an error creates no subscription.
   */
  add(sub: Subscription): Promise<void> {
    sub.stored = false;
    this.insert(sub);
    return this.repository.put(sub.record).then(() => {
      sub.stored = true;
    }, (err: unknown) => {
      this.forget(sub);
      throw err;
    });
  }

  /**
   * A refresh: the store first, then memory, so that a failed write (an error answer) leaves the
   * subscription as it was, with its old expiry and target (RFC 6665 4.1.2.2: after a refresh that
   * failed with anything but 481 the subscription stays valid for its last Expires). Resolves once durable.
   */
  async refresh(sub: Subscription, update: SubscriptionRefresh): Promise<void> {
    const refreshed: SubscriptionRecord = { ...sub.record, ...update };
    if (update.connectionId === undefined) delete refreshed.connectionId;
    await this.repository.put(refreshed);
    if (sub.ended) return;
    this.expiry.disarm(sub.record);
    Object.assign(sub.record, update);
    if (update.connectionId === undefined) delete sub.record.connectionId;
    this.expiry.arm(sub.record);
  }

  /** Takes the next NOTIFY CSeq, writing the record at each checkpoint. */
  nextCseq(sub: Subscription): number {
    const cseq = ++sub.record.localCseq;
    if (cseq % CSEQ_CHECKPOINT === 0 && !sub.ended) this.repository.put(sub.record).catch(() => undefined);
    return cseq;
  }

  /**
   * Removes it from memory at once and from the store (resolves once durable): an end the server
   * decides (expiry, a failed NOTIFY, the user removed), which stands even when the store fails.
   */
  remove(sub: Subscription): Promise<void> {
    if (!this.forget(sub)) return Promise.resolve();
    return this.repository.remove(sub.id);
  }

  /**
   * An unsubscribe (RFC 6665 4.2.1.4, Expires: 0 in the dialog): from the store first, then from
   * memory, so that the 200 means gone for good (a SIGKILL right after it does not bring it back) and
   * a failed delete (an error answer) leaves it as it was. True when this ended it (not something
   * else meanwhile).
   */
  async unsubscribe(sub: Subscription): Promise<boolean> {
    if (this.byId.get(sub.id) !== sub) return false;
    await this.repository.remove(sub.id);
    return this.forget(sub);
  }

  close(): void {
    this.expiry.clear();
  }

  /** Takes it out of memory; false when it was not there (ended already). */
  private forget(sub: Subscription): boolean {
    if (this.byId.get(sub.id) !== sub) return false;
    sub.ended = true;
    this.byId.delete(sub.id);
    const set = this.byPresentity.get(sub.record.presentity);
    set?.delete(sub);
    if (set?.size === 0) this.byPresentity.delete(sub.record.presentity);
    this.expiry.disarm(sub.record);
    return true;
  }

  private insert(sub: Subscription): void {
    this.byId.set(sub.id, sub);
    let set = this.byPresentity.get(sub.record.presentity);
    if (set === undefined) {
      set = new Set();
      this.byPresentity.set(sub.record.presentity, set);
    }
    set.add(sub);
    this.owners.set(sub.record, sub);
    this.expiry.arm(sub.record);
  }
}
