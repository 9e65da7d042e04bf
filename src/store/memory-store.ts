// Memory engine: the same contract with nothing persisted (tests, `--store memory`). Promises still
// resolve asynchronously so callers cannot come to rely on synchronous completion.
// Records are copied in and out: a caller mutating its object must not change the stored one,
// exactly as with sqlite.
import { closedError } from './errors.js';
import { offlineMessageBytes } from './offline-row.js';
import type {
  BindingRecord, BindingStore, OfflineMessage, OfflineMessageRepository, OfflineMessageSummary, PresenceRuleRecord, PresenceRuleRepository, PublicationRecord, PublicationRepository,
  StoreHandle, StoreStats, SubscriptionRecord, SubscriptionRepository, UserRecord, UserRepository,
} from './types.js';

function copyBinding(b: BindingRecord): BindingRecord {
  const c: BindingRecord = { ...b, received: { ...b.received }, path: [...b.path], flags: [...b.flags] };
  if (b.methods !== undefined) c.methods = [...b.methods];
  return c;
}

// NUL cannot occur in a SIP user part or host, so it separates the two halves of the key.
function userKey(username: string, domain: string): string {
  return `${username}\u0000${domain}`;
}

class MemoryStore implements StoreHandle {
  readonly kind = 'memory' as const;
  readonly path = undefined;
  readonly users: UserRepository;
  readonly bindings: BindingStore;
  readonly offlineMessages: OfflineMessageRepository;
  readonly publications: PublicationRepository;
  readonly subscriptions: SubscriptionRepository;
  readonly presenceRules: PresenceRuleRepository;
  private closed = false;
  private writes = 0;
  private readonly userMap = new Map<string, UserRecord>();
  private readonly bindingMap = new Map<string, BindingRecord>();
  private readonly messageMap = new Map<number, OfflineMessage>();
  private lastMessageId = 0;

  constructor() {
    const users = this.userMap;
    const bindings = this.bindingMap;
    this.users = {
      all: () => this.op(() => [...users.values()].map((u) => ({ ...u }))),
      put: (u) =>
        this.write(() => {
          users.set(userKey(u.username, u.domain), { ...u });
        }),
      remove: (username, domain) => this.write(() => users.delete(userKey(username, domain))),
    };
    // The stored copy takes the five values in place: no new copy per refresh.
    const refresh = (b: BindingRecord): void => {
      const stored = bindings.get(b.id);
      if (stored === undefined) {
        bindings.set(b.id, copyBinding(b));
        return;
      }
      stored.expiresAt = b.expiresAt;
      stored.callId = b.callId;
      stored.cseq = b.cseq;
      stored.lastKeepalive = b.lastKeepalive;
      stored.lastModified = b.lastModified;
    };
    this.bindings = {
      all: () => this.op(() => [...bindings.values()].map(copyBinding)),
      put: (b) =>
        this.write(() => {
          bindings.set(b.id, copyBinding(b));
        }),
      refresh: (b) => this.write(() => refresh(b)),
      remove: (id) =>
        this.write(() => {
          bindings.delete(id);
        }),
      // Copies made first: a record that cannot be copied rejects the batch before anything changes.
      batch: (writes) =>
        this.write(() => {
          const copies = writes.map((w) => (w.kind === 'remove' ? w : { kind: w.kind, binding: copyBinding(w.binding) }));
          for (const w of copies) {
            if (w.kind === 'remove') bindings.delete(w.id);
            else if (w.kind === 'put') bindings.set(w.binding.id, w.binding);
            else refresh(w.binding);
          }
        }),
      removeExpired: (now) =>
        this.write(() => {
          let n = 0;
          for (const [id, b] of bindings) {
            if (b.expiresAt <= now) {
              bindings.delete(id);
              n++;
            }
          }
          return n;
        }),
      count: () => this.op(() => bindings.size),
      iterate: () => this.iterate(),
    };
    const messages = this.messageMap;
    const copyMessage = (m: OfflineMessage): OfflineMessage => {
      const c: OfflineMessage = { ...m, body: Buffer.from(m.body) };
      if (m.headers !== undefined) c.headers = m.headers.map(([n, v]) => [n, v]);
      return c;
    };
    this.offlineMessages = {
      all: () => this.op(() => [...messages.values()].sort((a, b) => a.id - b.id).map(copyMessage)),
      summaries: () => this.messageSummaries(),
      get: (id) =>
        this.op(() => {
          const m = messages.get(id);
          return m === undefined ? undefined : copyMessage(m);
        }),
      put: (m) =>
        this.write(() => {
          messages.set(m.id, copyMessage(m));
          this.lastMessageId = Math.max(this.lastMessageId, m.id);
        }),
      remove: (id) =>
        this.write(() => {
          messages.delete(id);
        }),
      lastId: () => this.op(() => this.lastMessageId),
    };
    const publications = this.keyed((p: PublicationRecord) => p.etag, (p) => ({ ...p }));
    this.publications = { ...publications, replace: (p, removed) => publications.batch([p], removed) };
    this.subscriptions = this.keyed((x) => x.id, (x): SubscriptionRecord => ({ ...x, routeSet: [...x.routeSet], received: { ...x.received } }));
    const rules = this.keyed((r: PresenceRuleRecord) => userKey(r.presentity, r.watcher), (r) => ({ ...r }));
    this.presenceRules = { all: rules.all, put: rules.put, remove: (presentity, watcher) => rules.remove(userKey(presentity, watcher)) };
  }

  /** A repository of copied records in one Map (the presence tables need nothing more); `batch` puts and removes at once. */
  private keyed<T>(key: (record: T) => string, copy: (record: T) => T): {
    all(): Promise<T[]>; put(r: T): Promise<void>; remove(k: string): Promise<void>; batch(put: readonly T[], removed: readonly string[]): Promise<void>;
  } {
    const map = new Map<string, T>();
    return {
      all: () => this.op(() => [...map.values()].map(copy)),
      put: (r) =>
        this.write(() => {
          map.set(key(r), copy(r));
        }),
      remove: (k) =>
        this.write(() => {
          map.delete(k);
        }),
      batch: (put, removed) =>
        this.write(() => {
          const copies = put.map(copy);
          for (const r of copies) map.set(key(r), r);
          for (const k of removed) map.delete(k);
        }),
    };
  }

  stats(): StoreStats {
    return { transactions: 0, writes: this.writes, pending: 0 };
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private op<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private write<T>(fn: () => T): Promise<T> {
    return this.op(() => {
      const r = fn();
      this.writes++;
      return r;
    });
  }

  // Summaries as sqlite gives them (by id); this engine holds the bodies in memory all the same
  // (README "MESSAGE and the offline store").
  private async *messageSummaries(): AsyncIterableIterator<OfflineMessageSummary> {
    if (this.closed) throw closedError();
    const ids = [...this.messageMap.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      if (this.closed) throw closedError();
      const m = this.messageMap.get(id);
      if (m !== undefined) yield { id: m.id, aor: m.aor, expiresAt: m.expiresAt, bytes: offlineMessageBytes(m) };
    }
  }

  // Same order as sqlite (by id), so callers see one behaviour whichever engine runs.
  private async *iterate(): AsyncIterableIterator<BindingRecord> {
    if (this.closed) throw closedError();
    const ids = [...this.bindingMap.keys()].sort();
    for (const id of ids) {
      if (this.closed) throw closedError();
      const b = this.bindingMap.get(id);
      if (b !== undefined) yield copyBinding(b);
    }
  }
}

export function openMemoryStore(): StoreHandle {
  return new MemoryStore();
}
