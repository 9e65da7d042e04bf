/**
 * One binary min-heap for every protocol timer of the process (RFC 3261 17 timers A-M, and any other
 * expiry a layer needs), driven by a single Node timer armed for the earliest deadline.
 *
 * A million pending transactions therefore cost a million small heap entries, never a million
 * `setTimeout` handles. `schedule` and `cancel` are O(log n): every entry remembers its heap index,
 * so a cancelled entry is removed at once and the heap never holds garbage.
 *
 * Tests inject a clock (`now`) and set `autoRun: false`; they then move their clock and call
 * `runDue()`, or use `nextDeadline()` to step from one deadline to the next without waiting.
 */

export interface TimerHeapOptions {
  /** Monotonic clock in milliseconds; defaults to `performance.now()`. */
  now?: () => number;
  /** Arm a Node timer for the earliest deadline (default true). False: only `runDue()` fires timers. */
  autoRun?: boolean;
  /** Let the process exit while timers are pending (default false, like `setTimeout`). */
  unref?: boolean;
}

export interface TimerHandle {
  /** Removes the timer if it has not fired yet; calling it again, or after firing, does nothing. */
  cancel(): void;
  /** True until the timer fires or is cancelled. */
  readonly pending: boolean;
}

/** Node refuses delays above 2^31-1 ms (it fires after 1 ms instead); longer waits are re-armed. */
const MAX_NODE_DELAY = 2 ** 31 - 1;

class HeapEntry implements TimerHandle {
  /** Position in the heap array; -1 once fired or cancelled. */
  index = -1;

  constructor(
    private readonly owner: TimerHeap,
    readonly deadline: number,
    /** Insertion order: timers with equal deadlines fire in the order they were scheduled. */
    readonly seq: number,
    readonly callback: () => void,
  ) {}

  get pending(): boolean {
    return this.index >= 0;
  }

  cancel(): void {
    if (this.index >= 0) this.owner.remove(this);
  }
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}

export class TimerHeap {
  private readonly heap: HeapEntry[] = [];
  private readonly clock: () => number;
  private readonly autoRun: boolean;
  private readonly unref: boolean;
  private seq = 0;
  private nodeTimer: NodeJS.Timeout | undefined;
  /** Deadline the Node timer is armed for (undefined when none is armed). */
  private armedFor: number | undefined;
  private running = false;

  constructor(options: TimerHeapOptions = {}) {
    this.clock = options.now ?? (() => performance.now());
    this.autoRun = options.autoRun ?? true;
    this.unref = options.unref ?? false;
  }

  now(): number {
    return this.clock();
  }

  /** Number of pending timers. */
  get size(): number {
    return this.heap.length;
  }

  /** Deadline of the earliest pending timer, on the heap's clock. */
  nextDeadline(): number | undefined {
    return this.heap[0]?.deadline;
  }

  /** Calls `callback` once, `delayMs` (>= 0) from now. */
  schedule(delayMs: number, callback: () => void): TimerHandle {
    if (!(delayMs >= 0) || !Number.isFinite(delayMs)) throw new RangeError(`invalid timer delay ${delayMs}`);
    const entry = new HeapEntry(this, this.clock() + delayMs, this.seq++, callback);
    entry.index = this.heap.length;
    this.heap.push(entry);
    this.siftUp(entry.index);
    this.arm();
    return entry;
  }

  /**
   * Fires every timer whose deadline is at or before `now()`, earliest first; timers scheduled by a
   * callback fire in the same call when they are already due. Returns how many fired. A throwing
   * callback does not stop the others; the first error is rethrown once all due timers ran.
   */
  runDue(): number {
    if (this.running) return 0;
    this.running = true;
    let fired = 0;
    let failure: { error: unknown } | undefined;
    try {
      const now = this.clock();
      for (let top = this.heap[0]; top !== undefined && top.deadline <= now; top = this.heap[0]) {
        this.remove(top);
        fired++;
        try {
          top.callback();
        } catch (error) {
          failure ??= { error };
        }
      }
    } finally {
      this.running = false;
      this.arm();
    }
    if (failure) throw failure.error;
    return fired;
  }

  /** Drops every pending timer and the Node timer. */
  clear(): void {
    for (const entry of this.heap) entry.index = -1;
    this.heap.length = 0;
    this.disarm();
  }

  /** @internal O(log n) removal of a pending entry (used by `TimerHandle.cancel`). */
  remove(entry: HeapEntry): void {
    const i = entry.index;
    const last = this.heap.pop() as HeapEntry;
    entry.index = -1;
    if (last !== entry) {
      this.heap[i] = last;
      last.index = i;
      this.siftDown(i);
      this.siftUp(last.index);
    }
    if (this.heap.length === 0) this.disarm();
  }

  private arm(): void {
    if (!this.autoRun || this.running) return;
    const first = this.heap[0];
    if (first === undefined) return this.disarm();
    if (this.armedFor !== undefined && this.armedFor <= first.deadline) return;
    this.disarm();
    const delay = Math.min(Math.max(0, Math.ceil(first.deadline - this.clock())), MAX_NODE_DELAY);
    this.armedFor = first.deadline;
    this.nodeTimer = setTimeout(() => this.onNodeTimer(), delay);
    if (this.unref) this.nodeTimer.unref();
  }

  private disarm(): void {
    if (this.nodeTimer !== undefined) clearTimeout(this.nodeTimer);
    this.nodeTimer = undefined;
    this.armedFor = undefined;
  }

  private onNodeTimer(): void {
    this.nodeTimer = undefined;
    this.armedFor = undefined;
    this.runDue();
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const entry = heap[i];
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex];
      if (!before(entry, parent)) break;
      heap[i] = parent;
      parent.index = i;
      i = parentIndex;
    }
    heap[i] = entry;
    entry.index = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const entry = heap[i];
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(heap[right], heap[left]) ? right : left;
      if (!before(heap[child], entry)) break;
      heap[i] = heap[child];
      heap[i].index = i;
      i = child;
    }
    heap[i] = entry;
    entry.index = i;
  }
}

let processHeap: TimerHeap | undefined;

/** The process-wide heap every layer shares unless it is given its own (tests inject a manual one). */
export function sharedTimerHeap(): TimerHeap {
  processHeap ??= new TimerHeap();
  return processHeap;
}
