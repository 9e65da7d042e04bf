// The offline message store (like Kamailio's msilo, but durable and visible): MESSAGEs for users who
// could not take them, indexed in memory by AOR (the authority for delivery order, the mailbox limit,
// expiry and `ctl msg list`) and written through to the store; a message counts as stored only once
// its commit is done, so the 202 the sender gets is a promise we keep across a crash. Memory holds a
// summary of each message (id, AOR, expiry, size); its sender, body and headers are read from the
// store when it is delivered or listed, so with sqlite a full mailbox of 32 KB bodies costs disk, not
// RAM, and maxBytes bounds the disk all mailboxes take together.
import { offlineMessageBytes } from '../store/offline-row.js';
import type { OfflineMessage, OfflineMessageRepository, OfflineMessageSummary } from '../store/types.js';
import type { TimerHandle, TimerHeap } from '../transaction/timer-heap.js';

export interface OfflineStoreOptions {
  repository: OfflineMessageRepository;
  /** Seconds a message is kept undelivered. */
  expirySeconds: number;
  /** Messages per recipient; beyond it new ones are refused. */
  maxPerUser: number;
  /**
   * Bytes all waiting messages may take in the store together (offlineMessageBytes: body, sender,
   * headers); beyond it new ones are refused, whoever they are for. 0 or absent: no limit.
   */
  maxBytes?: number;
  timers: TimerHeap;
  now?: () => number;
}

/** `full`: the recipient's mailbox (maxPerUser); `store-full`: the whole store (maxBytes). */
export type StoreOutcome = { stored: true; message: OfflineMessage } | { stored: false; reason: 'full' | 'store-full' };

/** How often expired messages are looked for (at most; a shorter expiry sweeps sooner). */
const SWEEP_MS = 60 * 60 * 1000;

export class OfflineStore {
  private readonly byAor = new Map<string, OfflineMessageSummary[]>();
  private readonly byId = new Map<number, OfflineMessageSummary>();
  /** Stored while their original request may still reach the device (store() with `held`): not delivered until release(). */
  private readonly held = new Set<number>();
  private nextId = 1;
  /** offlineMessageBytes() of every indexed message, summed. */
  private bytes = 0;
  private sweeper: TimerHandle | undefined;
  private readonly now: () => number;

  private constructor(private readonly o: OfflineStoreOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Loads the summaries of the stored messages, page by page (dropping expired ones), and starts the expiry sweep. */
  static async load(o: OfflineStoreOptions): Promise<OfflineStore> {
    const store = new OfflineStore(o);
    for await (const m of o.repository.summaries()) {
      store.nextId = Math.max(store.nextId, m.id + 1);
      store.index(m);
    }
    // Above every id ever used, delivered and removed ones included: an id never names two messages.
    store.nextId = Math.max(store.nextId, ((await o.repository.lastId?.()) ?? 0) + 1);
    await store.sweep();
    return store;
  }

  /**
   * Resolves once the message is durable; `full` when the recipient already has maxPerUser waiting,
   * `store-full` when it would take the store past maxBytes.
   * `headers`: the Content-* headers (but Content-Type and Content-Length) and Subject, delivered with
   * the body. `held`: stored while the original request is still being retransmitted to the device;
   * not delivered until release() (a second copy would reach it otherwise).
   */
  async store(aor: string, from: string, contentType: string | undefined, body: Buffer, headers: Array<[string, string]> = [],
    options: { held?: boolean } = {}): Promise<StoreOutcome> {
    // Expired messages hold no place in the mailbox, swept or not (gone from memory at once; a failed
    // delete leaves the row, which the next start drops as expired).
    this.dropExpired(aor).catch(() => undefined);
    if ((this.byAor.get(aor)?.length ?? 0) >= this.o.maxPerUser) return { stored: false, reason: 'full' };
    const now = this.now();
    const message: OfflineMessage = { id: this.nextId, aor, from, receivedAt: now, expiresAt: now + this.o.expirySeconds * 1000, body };
    if (contentType !== undefined) message.contentType = contentType;
    if (headers.length > 0) message.headers = headers.map(([n, v]) => [n, v]);
    const bytes = offlineMessageBytes(message);
    if (!this.hasRoom(bytes)) return { stored: false, reason: 'store-full' };
    this.nextId++;
    if (options.held === true) this.held.add(message.id);
    const summary: OfflineMessageSummary = { id: message.id, aor, expiresAt: message.expiresAt, bytes };
    this.index(summary);
    try {
      await this.o.repository.put(message);
    } catch (err) {
      this.unindex(summary);
      throw err;
    }
    return { stored: true, message };
  }

  /** Whether the message was stored held and not released yet. */
  isHeld(id: number): boolean {
    return this.held.has(id);
  }

  /** The original request of a held message has ended without a 2xx: it may be delivered now. Returns its AOR. */
  release(id: number): string | undefined {
    if (!this.held.delete(id)) return undefined;
    return this.byId.get(id)?.aor;
  }

  /** Messages waiting for one AOR, oldest first (the live list: do not keep it). */
  pending(aor: string): readonly OfflineMessageSummary[] {
    return this.byAor.get(aor) ?? [];
  }

  /** Every waiting message (of one AOR, or all), oldest first; expired ones are not waiting any more. */
  list(aor?: string): OfflineMessageSummary[] {
    const now = this.now();
    if (aor !== undefined) return this.pending(aor).filter((m) => m.expiresAt > now);
    return [...this.byAor.values()].flat().filter((m) => m.expiresAt > now).sort((a, b) => a.id - b.id);
  }

  /** One message with its sender, body and headers, read from the store; undefined when it is gone. */
  read(id: number): Promise<OfflineMessage | undefined> {
    return this.o.repository.get(id);
  }

  /**
   * The messages list() shows when called, each read from the store as the caller comes to it (GET
   * /msg streams them): one delivered or removed meanwhile is left out.
   */
  async *messages(aor?: string): AsyncIterableIterator<OfflineMessage> {
    for (const { id } of this.list(aor)) {
      const m = await this.read(id);
      if (m !== undefined) yield m;
    }
  }

  /**
   * Drops the expired messages of one AOR now, without waiting for the sweep (which runs at most
   * hourly): delivery calls it before each message, so an expired one is never delivered. Memory at
   * once; resolves when the store has deleted them.
   */
  async dropExpired(aor: string): Promise<number> {
    const now = this.now();
    return this.removeMessages(this.pending(aor).filter((m) => m.expiresAt <= now));
  }

  aors(): IterableIterator<string> {
    return this.byAor.keys();
  }

  /**
   * Messages waiting, expired ones not counted although the sweep has not deleted them yet (ctl
   * stats, /metrics): the same messages `list()` shows. One pass over them all.
   */
  get count(): number {
    const now = this.now();
    let waiting = 0;
    for (const m of this.byId.values()) if (m.expiresAt > now) waiting++;
    return waiting;
  }

  /**
   * Removes one message (delivered, or by the operator); resolves false when there was none. From
   * the store first, then from memory: a failed delete (`ctl msg rm` says so) leaves the message
   * waiting, as the store still has it.
   */
  async remove(id: number): Promise<boolean> {
    const m = this.byId.get(id);
    if (m === undefined) return false;
    await this.o.repository.remove(id);
    this.unindex(m);
    return true;
  }

  /** Removes every message waiting for `aor` (its user was removed); resolves with how many, once durable. */
  async removeAll(aor: string): Promise<number> {
    return this.removeMessages([...this.pending(aor)]);
  }

  close(): void {
    this.sweeper?.cancel();
  }

  /**
   * Whether `bytes` more fit under maxBytes. When they do not, expired messages make room first (not
   * waiting any more, they hold no place, as in a mailbox): the oldest, which every message of this
   * process reaches first (one lifetime for all); the hourly sweep takes the others.
   */
  private hasRoom(bytes: number): boolean {
    const max = this.o.maxBytes ?? 0;
    if (max === 0 || this.bytes + bytes <= max) return true;
    const now = this.now();
    const expired: OfflineMessageSummary[] = [];
    // byId is in id (arrival) order: load() indexes by id, store() appends.
    for (const m of this.byId.values()) {
      if (m.expiresAt > now) break;
      expired.push(m);
    }
    // Out of memory at once; a failed delete leaves the row, which the next start drops as expired.
    this.removeMessages(expired).catch(() => undefined);
    return this.bytes + bytes <= max;
  }

  /** Takes `messages` out of memory at once; resolves with how many once the store has deleted them. */
  private async removeMessages(messages: readonly OfflineMessageSummary[]): Promise<number> {
    for (const m of messages) this.unindex(m);
    await Promise.all(messages.map((m) => this.o.repository.remove(m.id)));
    return messages.length;
  }

  private async sweep(): Promise<void> {
    const now = this.now();
    await this.removeMessages([...this.byAor.values()].flat().filter((m) => m.expiresAt <= now));
    this.sweeper = this.o.timers.schedule(Math.min(SWEEP_MS, this.o.expirySeconds * 1000), () => {
      // A failed delete leaves the row in the store: the next start drops it as expired.
      this.sweep().catch(() => undefined);
    });
  }

  private index(m: OfflineMessageSummary): void {
    const list = this.byAor.get(m.aor);
    if (list === undefined) this.byAor.set(m.aor, [m]);
    else list.push(m);
    this.byId.set(m.id, m);
    this.bytes += m.bytes;
  }

  private unindex(m: OfflineMessageSummary): void {
    const list = this.byAor.get(m.aor);
    const i = list?.indexOf(m) ?? -1;
    if (list === undefined || i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.byAor.delete(m.aor);
    this.byId.delete(m.id);
    this.held.delete(m.id);
    this.bytes -= m.bytes;
  }
}
