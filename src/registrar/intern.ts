// Strings that repeat across many bindings (User-Agent, socket names) are kept once: at a million
// bindings, a 40-byte User-Agent stored a million times would be 40 MB of copies of a few values.
const MAX_ENTRIES = 10_000;

export class StringPool {
  private readonly pool = new Map<string, string>();

  /** The pooled copy of `s`; a new value is pooled while there is room (a peer cannot grow it unbounded). */
  intern(s: string): string {
    const hit = this.pool.get(s);
    if (hit !== undefined) return hit;
    // Flatten a sliced/concatenated string so the pool does not keep its parent message alive.
    const own = Buffer.from(s, 'utf8').toString('utf8');
    if (this.pool.size < MAX_ENTRIES) this.pool.set(own, own);
    return own;
  }
}
