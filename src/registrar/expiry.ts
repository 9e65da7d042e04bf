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

export class ExpiryWheel<T extends { expiresAt: number }> {
  private readonly slots = new Map<number, Slot<T>>();

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

  /** Cancels every timer (server stop). */
  clear(): void {
    for (const slot of this.slots.values()) slot.timer.cancel();
    this.slots.clear();
  }

  private fire(index: number, slot: Slot<T>): void {
    if (this.slots.get(index) === slot) this.slots.delete(index);
    const now = this.now();
    for (const item of slot.members) {
      // The two clocks may drift apart (the heap's is monotonic): an item not due yet is re-armed.
      if (item.expiresAt <= now) this.onExpire(item);
      else this.arm(item);
    }
  }
}
