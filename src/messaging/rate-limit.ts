// Per-sender rate limit of MESSAGE (a token bucket per user): a flood from one account is refused
// with 503 and Retry-After (RFC 3261 21.5.4, 20.33) instead of filling other users' devices and the
// offline store.
export interface RateLimitOptions {
  /** Sustained messages per second per sender; 0 turns the limit off. */
  perSecond: number;
  /** Messages a sender may send at once after a quiet period. */
  burst: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private sweepAt = 0;

  constructor(private readonly o: RateLimitOptions) {
    this.now = o.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.o.perSecond > 0;
  }

  /** Takes one token for `key`: 0 when allowed, else the whole seconds until one is available (Retry-After). */
  take(key: string): number {
    if (!this.enabled) return 0;
    const now = this.now();
    this.sweep(now);
    const b = this.buckets.get(key) ?? { tokens: this.o.burst, at: now };
    b.tokens = Math.min(this.o.burst, b.tokens + ((now - b.at) / 1000) * this.o.perSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.o.perSecond));
  }

  /** Full buckets carry no state: dropped once a minute so idle senders cost no memory. */
  private sweep(now: number): void {
    if (now < this.sweepAt) return;
    this.sweepAt = now + 60_000;
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.o.perSecond >= this.o.burst) this.buckets.delete(key);
    }
  }
}
