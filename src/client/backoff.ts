// RFC 5626 4.5: after a flow fails, wait a random time between 50% and 100% of
// min(max-time, base-time * 2^consecutive-failures) before the next attempt, so that a server
// restart is not met by every client at the same instant.

export interface BackoffOptions {
  /** base-time: 30 s when every flow failed (RFC 5626 4.5). */
  baseMs: number;
  /** max-time: 1800 s. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 30_000, maxMs: 1_800_000 };

export function backoffDelay(options: BackoffOptions, consecutiveFailures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(consecutiveFailures, 30));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}
