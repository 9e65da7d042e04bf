// When to refresh something that expires (registration, publication, subscription): early enough
// that a request retransmitted up to Timer F (32 s) still lands before the expiry, and never later
// than half way for short grants.

export function refreshDelayMs(grantedSeconds: number): number {
  const s = grantedSeconds > 80 ? grantedSeconds - 40 : grantedSeconds / 2;
  return Math.max(500, Math.round(s * 1000));
}

/** A one-shot timer that does not keep the process alive. */
export function later(ms: number, fn: () => void): NodeJS.Timeout {
  const t = setTimeout(fn, ms);
  t.unref();
  return t;
}
