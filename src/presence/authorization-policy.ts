// Who may watch whom (RFC 3856 6.6: the PA authorizes each subscription; RFC 3857 for the
// presentity's view of it). Default: users of the same domain see each other (the server's own
// addresses and localhost count as one domain, see LocalIdentity.sameDomain), and anyone else waits
// as pending until the operator decides (`ctl presence allow|block`). Blocking is polite (RFC 3856
// 6.6.2): the watcher's subscription looks active, but it only ever sees the presentity offline.
import type { PresenceRuleRecord, PresenceRuleRepository } from '../store/types.js';

/** What a watcher gets: the real state, nothing yet (pending), or a neutral "offline" (blocked). */
export type Authorization = 'active' | 'pending' | 'blocked';

function domainOf(aor: string): string {
  return aor.slice(aor.lastIndexOf('@') + 1).toLowerCase();
}

function ruleKey(presentity: string, watcher: string): string {
  return `${presentity}\u0000${watcher}`;
}

/** Whether two AOR domains (as written in AORs: sip:alice@[::1] gives `[::1]`) are one domain. */
export type SameDomain = (a: string, b: string) => boolean;

export class AuthorizationPolicy {
  private readonly rules = new Map<string, PresenceRuleRecord['decision']>();

  constructor(private readonly repository: PresenceRuleRepository,
    private readonly sameDomain: SameDomain = (a, b) => a === b) {}

  async restore(): Promise<number> {
    const all = await this.repository.all();
    for (const r of all) this.rules.set(ruleKey(r.presentity, r.watcher), r.decision);
    return all.length;
  }

  decide(presentity: string, watcher: string): Authorization {
    const rule = this.rules.get(ruleKey(presentity, watcher));
    if (rule === 'allow') return 'active';
    if (rule === 'block') return 'blocked';
    if (watcher === presentity || this.sameDomain(domainOf(watcher), domainOf(presentity))) return 'active';
    return 'pending';
  }

  /** Deletes every rule of `aor`, as presentity and as watcher (its user was removed); resolves once durable. */
  async forget(aor: string): Promise<number> {
    const gone: Array<[string, string]> = [];
    for (const key of this.rules.keys()) {
      const [presentity, watcher] = key.split('\u0000');
      if (presentity === aor || watcher === aor) gone.push([presentity, watcher]);
    }
    for (const [presentity, watcher] of gone) this.rules.delete(ruleKey(presentity, watcher));
    await Promise.all(gone.map(([presentity, watcher]) => this.repository.remove(presentity, watcher)));
    return gone.length;
  }

  /**
   * Records the operator's decision; resolves once durable, and only then is it in force: a decision
   * the store refused (`ctl` says it failed) changes no watcher's state (RFC 3856 6.6).
   */
  async set(presentity: string, watcher: string, decision: PresenceRuleRecord['decision']): Promise<void> {
    await this.repository.put({ presentity, watcher, decision });
    this.rules.set(ruleKey(presentity, watcher), decision);
  }
}
