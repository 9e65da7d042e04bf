// Replay protection for qop=auth (RFC 2617 3.2.2 / RFC 7616 3.4: "if the same nc-value is seen twice,
// then the request is a replay"). One small record per nonce, in a bounded Map.

/** Older nc values accepted out of order: UDP may reorder two requests sent with nc n and n+1. */
const WINDOW = 32;

interface NonceRecord {
  /** Highest nc accepted. */
  highest: number;
  /** Bit i set = nc (highest - i) was accepted (bit 0 is `highest` itself). */
  seen: number;
  /** When the nonce itself expires (issued-at + lifetime); after that the record is useless. */
  expiresAt: number;
}

export type NcVerdict = 'fresh' | 'replayed' | 'forgotten';

/**
 * Bounded by construction: at most `maxNonces` records (a Map in insertion order, oldest evicted
 * first), each a few numbers. Records whose nonce has expired are dropped from the front on every
 * insert. Only nonces that came with a correct response are recorded, so a peer without a password
 * cannot fill the table.
 *
 * Eviction must not reopen a replay: the issue time of the newest evicted nonce is remembered, and a
 * nonce issued no later than that which is not in the table is reported `forgotten`; the server
 * then sends a fresh challenge with stale=true (one extra round trip for an honest client).
 */
export class NcTracker {
  private readonly records = new Map<string, NonceRecord>();
  private forgottenUpTo = -Infinity;

  constructor(private readonly maxNonces: number, private readonly lifetimeMs: number) {
    if (!Number.isInteger(maxNonces) || maxNonces < 1) throw new RangeError('maxNonces must be a positive integer');
  }

  get size(): number {
    return this.records.size;
  }

  /** Records nc for this nonce; 'replayed' when this nc was already used (or is too far behind). */
  use(nonce: string, issuedAt: number, nc: number, now: number): NcVerdict {
    const rec = this.records.get(nonce);
    if (rec === undefined) {
      if (issuedAt <= this.forgottenUpTo) return 'forgotten';
      this.insert(nonce, { highest: nc, seen: 1, expiresAt: issuedAt + this.lifetimeMs }, now);
      return 'fresh';
    }
    if (nc > rec.highest) {
      const shift = nc - rec.highest;
      rec.seen = shift >= WINDOW ? 1 : ((rec.seen << shift) | 1) >>> 0;
      rec.highest = nc;
      return 'fresh';
    }
    const behind = rec.highest - nc;
    if (behind >= WINDOW || ((rec.seen >>> behind) & 1) === 1) return 'replayed';
    rec.seen = (rec.seen | (1 << behind)) >>> 0;
    return 'fresh';
  }

  private insert(nonce: string, rec: NonceRecord, now: number): void {
    for (const [key, old] of this.records) {
      if (old.expiresAt > now && this.records.size < this.maxNonces) break;
      this.records.delete(key);
      // An expired nonce is refused before the tracker is asked, so only live ones count as forgotten.
      if (old.expiresAt > now) this.forgottenUpTo = Math.max(this.forgottenUpTo, old.expiresAt - this.lifetimeMs);
    }
    this.records.set(nonce, rec);
  }
}
