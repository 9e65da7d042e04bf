// How many subscriptions one presentity holds. Watchers in other domains cannot authenticate to us,
// so their SUBSCRIBEs are taken unchallenged (server/request-auth.ts): without a limit, anyone could
// store subscriptions without end. A smaller limit on watchers the presentity has not allowed keeps
// strangers from crowding out the ones it has.
import { answer, type Answer } from './answer.js';
import type { Authorization } from './authorization-policy.js';

export interface WatcherLimits {
  /** Subscriptions per presentity, presence and presence.winfo together. */
  maxWatchers: number;
  /** Of those, subscriptions whose watcher is not allowed (pending, or blocked). */
  maxPendingWatchers: number;
}

/**
 * The refusal of a new subscription from a watcher with `authorization`, when `current` (the
 * presentity's subscriptions, each with its watcher's authorization) is at a limit; else undefined.
 * A refresh is never asked about: it stores nothing new.
 *
 * RFC 6665 4.2.1.1: the notifier creates the subscription when "there are no other barriers"; here
 * there is one, so a failure response. 403, not 503: RFC 3261 21.5.4 gives 503 to a server that is
 * overloaded or down for maintenance, and it is taken that way: a client tries the next server of
 * the domain (RFC 3263 4.3) and a proxy does not pass a 503 upstream (RFC 3261 16.7 step 6), so the
 * reason would not reach the watcher. The server is well here; one presentity has as many watchers
 * as it may have. 403 (21.4.3: understood and refused, credentials will not help) reaches the
 * watcher with the reason. It may be worth a new SUBSCRIBE once watchers went (expiry, unsubscribe)
 * or the presentity allowed this one (`ctl presence allow`), not at a time a Retry-After could name.
 */
export function watcherLimitRefusal(authorization: Authorization, current: Iterable<Authorization>, limits: WatcherLimits): Answer | undefined {
  let total = 0;
  let notAllowed = 0;
  for (const a of current) {
    total++;
    if (a !== 'active') notAllowed++;
  }
  if (total >= limits.maxWatchers) {
    return answer(403, `Forbidden (too many watchers: at most ${limits.maxWatchers} subscriptions per presentity)`);
  }
  if (authorization !== 'active' && notAllowed >= limits.maxPendingWatchers) {
    return answer(403, `Forbidden (too many pending watchers: at most ${limits.maxPendingWatchers} subscriptions per presentity from watchers it has not allowed)`);
  }
  return undefined;
}
