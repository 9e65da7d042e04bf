// Strings that repeat across many bindings (User-Agent, socket names) are kept once: at a million
// bindings, a 40-byte User-Agent stored a million times would be 40 MB of copies of a few values.
const MAX_ENTRIES = 10_000;

export class StringPool {
  private readonly pool = new Map<string, string>();

  /** The pooled copy of `s`; a new value is pooled while there is room (a peer cannot grow it unbounded). */
  intern(s: string): string {
    const hit = this.pool.get(s);
    if (hit !== undefined) return hit;
    const own = ownCopy(s);
    if (this.pool.size < MAX_ENTRIES) this.pool.set(own, own);
    return own;
  }
}

/**
 * A flat copy of `s`. Strings taken from a parsed message are often slices or concatenations of the
 * whole message text: kept in a binding for an hour, each would hold its entire REGISTER in memory.
 */
export function ownCopy(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}
