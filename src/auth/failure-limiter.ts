// Password guessing: every wrong digest answer is one guess, and nothing in RFC 3261 stops a client
// from making thousands a second. Wrong answers are counted per source address (a wrong password and
// an unknown user alike, so the count tells nothing about which users exist); past the limit within
// a minute, the address is refused for the ban time, correct answers included, since an answer
// accepted during the ban would confirm a guess. A legitimate client with a wrong stored password
// retries once per registration interval and never comes near the limit.

export interface FailureLimiterOptions {
  /** Wrong answers one address may give within a minute; 0 turns the limit off. */
  maxFailures: number;
  /** How long an address that went past the limit is refused, in ms. */
  banMs: number;
  now?: () => number;
  /** Addresses tracked at once; beyond, the longest quiet ones are forgotten (a bound on memory). */
  maxAddresses?: number;
}

/** The window wrong answers are counted in. */
const WINDOW_MS = 60_000;
const MAX_ADDRESSES = 65_536;

interface AddressRecord {
  /** Start of the current window. */
  since: number;
  failures: number;
  bannedUntil: number;
}

export class AuthFailureLimiter {
  /** Insertion order is last-touched order: the first entry is the longest quiet. */
  private readonly addresses = new Map<string, AddressRecord>();
  private readonly now: () => number;
  private readonly maxAddresses: number;

  constructor(private readonly o: FailureLimiterOptions) {
    this.now = o.now ?? Date.now;
    this.maxAddresses = o.maxAddresses ?? MAX_ADDRESSES;
  }

  /** Whole seconds the address is still refused for; 0 when it is not. */
  bannedFor(address: string): number {
    const r = this.addresses.get(address);
    if (r === undefined) return 0;
    const left = r.bannedUntil - this.now();
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  /** One wrong answer from `address`. */
  failed(address: string): void {
    if (this.o.maxFailures <= 0) return;
    const now = this.now();
    let r = this.addresses.get(address);
    if (r !== undefined) this.addresses.delete(address);
    if (r === undefined || now - r.since >= WINDOW_MS) r = { since: now, failures: 0, bannedUntil: r?.bannedUntil ?? 0 };
    r.failures++;
    if (r.failures > this.o.maxFailures) r.bannedUntil = now + this.o.banMs;
    this.addresses.set(address, r);
    if (this.addresses.size > this.maxAddresses) this.forgetOldest(now);
  }

  /** Drops the longest quiet address that is not banned; with every one banned, the longest quiet. */
  private forgetOldest(now: number): void {
    for (const [address, r] of this.addresses) {
      if (r.bannedUntil > now) continue;
      this.addresses.delete(address);
      return;
    }
    const oldest = this.addresses.keys().next();
    if (oldest.done !== true) this.addresses.delete(oldest.value);
  }
}
