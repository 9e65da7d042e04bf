// The users who may authenticate, held in memory (the hot path never waits on storage) and written
// through the UserRepository. Only digest hashes are kept and stored, never a password (RFC 2617 4.13).
import type { UserAdmin, UserSummary } from '../control/context.js';
import { classifyHost } from '../sip/host.js';
import type { UserRecord, UserRepository } from '../store/types.js';
import { canonicalDomain } from '../transport/address.js';
import type { TransportLogger } from '../transport/types.js';
import { computeHa1 } from './digest-hash.js';
import type { CredentialSource, DigestAlgorithm } from './types.js';

/** A username, domain or password the directory will not take; the message says why. */
export class InvalidUserError extends Error {
  override name = 'InvalidUserError';
}

/** RFC 3261 25.1 user: unreserved (alphanum, mark) / user-unreserved, plus escaped (%HH) handled apart. */
const USER_CHAR = /[A-Za-z0-9\-_.!~*'()&=+$,;?/]/;

function checkUsername(username: string): void {
  if (username.length === 0) throw new InvalidUserError('username is empty');
  for (let i = 0; i < username.length; i++) {
    const ch = username[i];
    if (ch === '%') {
      if (!/^[0-9A-Fa-f]{2}$/.test(username.slice(i + 1, i + 3))) {
        throw new InvalidUserError(`username ${JSON.stringify(username)}: "%" must start an escape like %40`);
      }
      i += 2;
    } else if (ch === '@') {
      throw new InvalidUserError(`username ${JSON.stringify(username)} contains "@": give the domain separately`);
    } else if (ch === ':') {
      throw new InvalidUserError(`username ${JSON.stringify(username)} contains ":", which would start a URI password`);
    } else if (/\s/.test(ch)) {
      throw new InvalidUserError(`username ${JSON.stringify(username)} contains whitespace`);
    } else if (!USER_CHAR.test(ch)) {
      throw new InvalidUserError(`username ${JSON.stringify(username)} contains ${JSON.stringify(ch)}, not allowed in a SIP user part (RFC 3261 25.1)`);
    }
  }
}

/**
 * The domain is the realm, so it has one form (canonicalDomain): a valid host, lower-case (hosts
 * compare case-insensitively, RFC 3261 19.1.4), an IPv6 address bare and canonical and an IPv4-mapped
 * one the IPv4 address it carries, as the AOR's host (aorOf) and the realm we challenge in
 * (request-auth.ts) are. HA1 is computed over this form, the realm a UA answers in.
 */
function normalizeDomain(domain: string): string {
  const bare = domain.startsWith('[') && domain.endsWith(']') ? domain.slice(1, -1) : domain;
  const kind = bare.length === 0 ? undefined : classifyHost(bare);
  if (kind === undefined || (bare !== domain && kind !== 'ipv6')) {
    throw new InvalidUserError(`domain ${JSON.stringify(domain)} is not a host name or IP address`);
  }
  return canonicalDomain(bare);
}

function checkPassword(password: string): void {
  if (password.length === 0) throw new InvalidUserError('password is empty');
}

/** Validated usernames contain no "@", so this key is unambiguous. */
const keyOf = (username: string, domain: string): string => `${username}@${domain}`;

export class UserDirectory implements CredentialSource, UserAdmin {
  private readonly users = new Map<string, UserRecord>();
  /** Per-user chains of pending writes: operations on one user take effect in call order. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly repo: UserRepository, private readonly now: () => number = Date.now) {}

  /**
   * A directory holding every user of the repository. A user stored before domains had one form,
   * under another spelling of an address (`u1@0:0:0:0:0:0:0:1`, `u2@::ffff:127.0.0.1`), is moved to
   * the canonical one (`u1@::1`, `u2@127.0.0.1`) in the repository too. Its digest hashes were
   * computed over the old spelling, a realm never sent again, and cannot be recomputed without the
   * password: the warning says to set it again. Two users that become one are not merged: the one
   * stored canonically (or else the oldest) stays; the other could never authenticate again, and
   * is removed, with a warning.
   */
  static async load(repo: UserRepository, now?: () => number, log?: Pick<TransportLogger, 'warn'>): Promise<UserDirectory> {
    const dir = new UserDirectory(repo, now);
    const misspelt: UserRecord[] = [];
    for (const user of await repo.all()) {
      if (canonicalDomain(user.domain) === user.domain) dir.users.set(keyOf(user.username, user.domain), user);
      else misspelt.push(user);
    }
    misspelt.sort((a, b) => a.createdAt - b.createdAt);
    for (const user of misspelt) {
      const domain = canonicalDomain(user.domain);
      const key = keyOf(user.username, domain);
      // The stored spelling is not written out: it may be `::ffff:...`, which simplesip never shows.
      if (dir.users.has(key)) {
        await repo.remove(user.username, user.domain);
        log?.warn({ user: key }, `user ${key} was also stored under another spelling of ${domain}; that copy is removed, not merged (its password hashes were for a realm never sent; ${key} keeps its own password)`);
        continue;
      }
      const moved: UserRecord = { ...user, domain };
      await repo.put(moved);
      await repo.remove(user.username, user.domain);
      dir.users.set(key, moved);
      log?.warn({ user: key }, `user ${key} was stored under another spelling of ${domain} and is moved to it; set the password again (simplesip ctl user passwd ${key}): the stored hashes were for a realm never sent, so ${key} cannot authenticate until then`);
    }
    return dir;
  }

  ha1(username: string, realm: string, algorithm: DigestAlgorithm): string | undefined {
    const user = this.users.get(keyOf(username, canonicalDomain(realm)));
    if (user === undefined) return undefined;
    return algorithm === 'MD5' ? user.ha1Md5 : user.ha1Sha256;
  }

  /** `domain` in any spelling: `0:0:0:0:0:0:0:1` is `::1` (RFC 3261 19.1.4). */
  has(username: string, domain: string): boolean {
    return this.users.has(keyOf(username, canonicalDomain(domain)));
  }

  /** Rejects with InvalidUserError for a bad username, domain or empty password. */
  async add(username: string, domain: string, password: string): Promise<'added' | 'exists'> {
    checkUsername(username);
    const realm = normalizeDomain(domain);
    checkPassword(password);
    const key = keyOf(username, realm);
    return this.exclusive(key, async () => {
      if (this.users.has(key)) return 'exists';
      await this.write(key, this.record(username, realm, password, this.now()));
      return 'added';
    });
  }

  remove(username: string, domain: string): Promise<boolean> {
    const realm = canonicalDomain(domain);
    const key = keyOf(username, realm);
    return this.exclusive(key, async () => {
      if (!this.users.has(key)) return false;
      await this.repo.remove(username, realm);
      this.users.delete(key);
      return true;
    });
  }

  /** False for an unknown user; rejects with InvalidUserError for an empty password. */
  async setPassword(username: string, domain: string, password: string): Promise<boolean> {
    checkPassword(password);
    const realm = canonicalDomain(domain);
    const key = keyOf(username, realm);
    return this.exclusive(key, async () => {
      const user = this.users.get(key);
      if (user === undefined) return false;
      await this.write(key, this.record(username, realm, password, user.createdAt));
      return true;
    });
  }

  list(domain?: string): UserSummary[] {
    const wanted = domain === undefined ? undefined : canonicalDomain(domain);
    const out: UserSummary[] = [];
    for (const u of this.users.values()) {
      if (wanted === undefined || u.domain === wanted) out.push({ username: u.username, domain: u.domain, createdAt: u.createdAt });
    }
    return out.sort((a, b) => (a.domain === b.domain ? cmp(a.username, b.username) : cmp(a.domain, b.domain)));
  }

  /** The realm is the domain (docs/internals.md store/), so HA1 is fixed at creation for both algorithms. */
  private record(username: string, domain: string, password: string, createdAt: number): UserRecord {
    return {
      username,
      domain,
      ha1Md5: computeHa1('MD5', username, domain, password),
      ha1Sha256: computeHa1('SHA-256', username, domain, password),
      createdAt,
    };
  }

  /** Durable first, then visible: the map never holds a user the store would lose on a crash. */
  private async write(key: string, user: UserRecord): Promise<void> {
    await this.repo.put(user);
    this.users.set(key, user);
  }

  private exclusive<T>(key: string, op: () => Promise<T>): Promise<T> {
    const result = (this.queues.get(key) ?? Promise.resolve()).then(op);
    const tail = result.then(() => undefined, () => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return result;
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
