/**
 * Transactions waiting out one fixed interval, first in first out: Timer J of the non-INVITE server
 * transactions over UDP (RFC 3261 17.2.2), 32 s for every request a server answers, and Timer K of
 * the non-INVITE client transactions (17.1.2.2), 5 s for every request it sends. Every entry
 * waits the same interval, so arrival order is deadline order, and one timer on the shared heap (for
 * the head) replaces a heap entry, a timer map and two closures per transaction.
 */
import type { TimerHandle, TimerHeap } from './timer-heap.js';

/** Entries drained from the front are cut off once there are this many, and more than live ones. */
const COMPACT_AFTER = 4096;

export class LingerQueue<T> {
  private items: Array<T | undefined> = [];
  private deadlines: number[] = [];
  private head = 0;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly timers: TimerHeap,
    private readonly delayMs: number,
    /** Called once per entry when its interval is over (an entry that ended early must ignore it). */
    private readonly onExpire: (item: T) => void,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  add(item: T): void {
    this.items.push(item);
    this.deadlines.push(this.timers.now() + this.delayMs);
    if (this.timer === undefined) this.arm();
  }

  /** Drops every entry without calling onExpire (the layer is closing). */
  clear(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.items = [];
    this.deadlines = [];
    this.head = 0;
  }

  private arm(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.deadlines = [];
      this.head = 0;
      return;
    }
    this.timer = this.timers.schedule(Math.max(0, this.deadlines[this.head] - this.timers.now()), () => this.expireDue());
  }

  private expireDue(): void {
    this.timer = undefined;
    const now = this.timers.now();
    try {
      while (this.head < this.items.length && this.deadlines[this.head] <= now) {
        const item = this.items[this.head] as T;
        this.items[this.head++] = undefined;
        this.onExpire(item);
      }
    } finally {
      if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
        this.items = this.items.slice(this.head);
        this.deadlines = this.deadlines.slice(this.head);
        this.head = 0;
      }
      if (this.timer === undefined) this.arm();
    }
  }
}
