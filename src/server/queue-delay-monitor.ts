// How far behind the server is: how long a datagram waits before the server reads it, sampled ten
// times a second. Two measures, the larger counts: the delay of the UDP receive queues
// (transport/queue-delay-probe.ts: a busy thread with a backlog) and how late the sampling timer
// fires (a thread that stood still: a long task, a GC pause, a stopped process; what arrived
// meanwhile waited that long). It is the first sign of overload: the queue grows, then the kernel
// drops datagrams, then UDP clients retransmit after T1 (RFC 3261 17.1.2.2) and add to the load.
// Kept for `ctl stats` (last sample, worst of the last minute), handed to /metrics, and logged as a
// warning when a sample passes the configured threshold (at most once per WARN_EVERY_MS).

const SLOT_MS = 10_000;
const SLOTS = 6;
const WARN_EVERY_MS = 10_000;

export interface QueueDelayMonitorOptions {
  /** Samples the queue delay in ms and sends the next probe (TransportManager.queueDelayMs). */
  measure: () => number;
  /** A sample above this many ms is logged as a warning; 0 = never. */
  warnMs: number;
  log: { warn(obj: object, msg: string): void };
  /** Milliseconds between samples (100). */
  intervalMs?: number;
  now?: () => number;
}

export class QueueDelayMonitor {
  private last = 0;
  /** The worst sample of each of the last SLOTS slots of SLOT_MS; `slot` is the current one. */
  private readonly worst = new Float64Array(SLOTS);
  private slot = 0;
  private slotStartedAt: number;
  private lastWarnAt = -Infinity;
  private lastTickAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly observers: Array<(ms: number) => void> = [];
  private readonly now: () => number;
  private readonly intervalMs: number;

  constructor(private readonly options: QueueDelayMonitorOptions) {
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? 100;
    this.slotStartedAt = this.now();
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Calls `observer` with every sample (ms), e.g. to fill a metrics histogram. */
  onSample(observer: (ms: number) => void): void {
    this.observers.push(observer);
  }

  /** The last sample, in ms. */
  get lastMs(): number {
    return this.last;
  }

  /** The worst sample of the last minute (50 to 60 s), in ms. */
  get maxLastMinuteMs(): number {
    this.advance(this.now());
    return Math.max(...this.worst);
  }

  /** One sample: the queue delay or the timer's lateness, the larger. */
  tick(): void {
    const now = this.now();
    const late = this.lastTickAt === undefined ? 0 : Math.max(0, now - this.lastTickAt - this.intervalMs);
    this.lastTickAt = now;
    this.record(Math.max(this.options.measure(), late));
  }

  record(ms: number): void {
    const now = this.now();
    this.advance(now);
    this.last = ms;
    if (ms > this.worst[this.slot]) this.worst[this.slot] = ms;
    for (const observer of this.observers) observer(ms);
    const { warnMs } = this.options;
    if (warnMs > 0 && ms > warnMs && now - this.lastWarnAt >= WARN_EVERY_MS) {
      this.lastWarnAt = now;
      this.options.log.warn({ queueDelayMs: Math.round(ms), thresholdMs: warnMs },
        `UDP datagrams waited ${Math.round(ms)} ms before the server read them: it is falling behind its load (UDP clients retransmit after 500 ms)`);
    }
  }

  /** Moves to the slot of `now`, clearing the slots passed over. */
  private advance(now: number): void {
    let passed = Math.floor((now - this.slotStartedAt) / SLOT_MS);
    if (passed <= 0) return;
    this.slotStartedAt += passed * SLOT_MS;
    for (passed = Math.min(passed, SLOTS); passed > 0; passed--) {
      this.slot = (this.slot + 1) % SLOTS;
      this.worst[this.slot] = 0;
    }
  }
}
