// Expiry of bindings (RFC 3261 10.2.1, 10.3 step 7: a binding lives for its expires interval, then
// the registrar forgets it without being asked). Bindings are grouped in slots of SLOT_MS; each slot
// with bindings in it holds one entry of the shared timer heap, so a million bindings cost a few
// thousand heap entries plus one Set slot each, and a binding is removed at most SLOT_MS late.
import type { TimerHandle, TimerHeap } from '../transaction/timer-heap.js';

/** Width of one slot: a binding expires at most this late (the issue asks for within a second). */
export const SLOT_MS = 250;

interface Slot<T> {
  members: Set<T>;
  timer: TimerHandle;
}

/** Bindings expired per turn of the event loop (see expireFrom). */
const EXPIRE_BATCH = 2000;

export class ExpiryWheel<T extends { expiresAt: number }> {
  private readonly slots = new Map<number, Slot<T>>();
  /** Bumped by clear(): a slot still being expired in batches stops. */
  private generation = 0;

  /**
   * `timers` runs on its own clock; `now` is the wall clock of `expiresAt` (epoch milliseconds).
   * `onExpire` is called once per binding whose time has come.
   */
  constructor(
    private readonly timers: TimerHeap,
    private readonly now: () => number,
    private readonly onExpire: (item: T) => void,
  ) {}

  /** Starts watching `item` (when its expiresAt changes while it is armed, call moved()). */
  arm(item: T): void {
    const index = Math.ceil(item.expiresAt / SLOT_MS);
    let slot = this.slots.get(index);
    if (slot === undefined) {
      const delay = Math.max(0, index * SLOT_MS - this.now());
      const created: Slot<T> = { members: new Set(), timer: this.timers.schedule(delay, () => this.fire(index, created)) };
      slot = created;
      this.slots.set(index, slot);
    }
    slot.members.add(item);
  }

  disarm(item: T): void {
    this.disarmAt(item, item.expiresAt);
  }

  /**
   * `item`, armed while its expiresAt was `was`, now expires at its new expiresAt (a refresh changed
   * it in place). Nothing to do while both fall in one slot.
   */
  moved(item: T, was: number): void {
    if (Math.ceil(was / SLOT_MS) === Math.ceil(item.expiresAt / SLOT_MS)) return;
    this.disarmAt(item, was);
    this.arm(item);
  }

  private disarmAt(item: T, expiresAt: number): void {
    const index = Math.ceil(expiresAt / SLOT_MS);
    const slot = this.slots.get(index);
    if (slot === undefined || !slot.members.delete(item)) return;
    if (slot.members.size === 0) {
      slot.timer.cancel();
      this.slots.delete(index);
    }
  }

  /** Cancels every timer, and the rest of a slot being expired (server stop). */
  clear(): void {
    for (const slot of this.slots.values()) slot.timer.cancel();
    this.slots.clear();
    this.generation++;
  }

  private fire(index: number, slot: Slot<T>): void {
    if (this.slots.get(index) === slot) this.slots.delete(index);
    this.expireFrom([...slot.members], 0, this.generation);
  }

  /**
   * Expires `items` from `start` on, EXPIRE_BATCH per turn of the event loop: a million bindings
   * registered in one burst expire in one slot, and removing them all in one go held the server
   * (SIP, timers, the control API) for 17 s. An item refreshed or removed meanwhile is left alone:
   * refreshed, it is no longer due (and armed in its new slot); removed, onExpire finds nothing.
   */
  private expireFrom(items: readonly T[], start: number, generation: number): void {
    if (generation !== this.generation) return;
    const now = this.now();
    const end = Math.min(items.length, start + EXPIRE_BATCH);
    for (let i = start; i < end; i++) {
      const item = items[i];
      // The two clocks may drift apart (the heap's is monotonic): an item not due yet is re-armed.
      if (item.expiresAt <= now) this.onExpire(item);
      else this.arm(item);
    }
    if (end < items.length) setImmediate(() => this.expireFrom(items, end, generation));
  }
}
