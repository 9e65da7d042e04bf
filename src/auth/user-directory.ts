// The users who may authenticate, held in memory (the hot path never waits on storage) and written
// through the UserRepository. Only digest hashes are kept and stored, never a password (RFC 2617 4.13).
import type { UserAdmin, UserSummary } from '../control/context.js';
import { classifyHost } from '../sip/host.js';
import type { UserRecord, UserRepository } from '../store/types.js';
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

/** The domain is the realm: lower-case (hosts compare case-insensitively, RFC 3261 19.1.4) and a valid host. */
function normalizeDomain(domain: string): string {
  const lower = domain.toLowerCase();
  const bare = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  const kind = bare.length === 0 ? undefined : classifyHost(bare);
  if (kind === undefined || (bare !== lower && kind !== 'ipv6')) {
    throw new InvalidUserError(`domain ${JSON.stringify(domain)} is not a host name or IP address`);
  }
  return lower;
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

  /** A directory holding every user of the repository. */
  static async load(repo: UserRepository, now?: () => number): Promise<UserDirectory> {
    const dir = new UserDirectory(repo, now);
    for (const user of await repo.all()) dir.users.set(keyOf(user.username, user.domain), user);
    return dir;
  }

  ha1(username: string, realm: string, algorithm: DigestAlgorithm): string | undefined {
    const user = this.users.get(keyOf(username, realm.toLowerCase()));
    if (user === undefined) return undefined;
    return algorithm === 'MD5' ? user.ha1Md5 : user.ha1Sha256;
  }

  has(username: string, domain: string): boolean {
    return this.users.has(keyOf(username, domain.toLowerCase()));
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
    const realm = domain.toLowerCase();
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
    const realm = domain.toLowerCase();
    const key = keyOf(username, realm);
    return this.exclusive(key, async () => {
      const user = this.users.get(key);
      if (user === undefined) return false;
      await this.write(key, this.record(username, realm, password, user.createdAt));
      return true;
    });
  }

  list(domain?: string): UserSummary[] {
    const wanted = domain?.toLowerCase();
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
