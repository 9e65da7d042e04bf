// SQLite engine (better-sqlite3): DIR/simplesip.db, WAL, one exclusive writer, group commit.
//
// Durability choice: journal_mode=WAL with synchronous=NORMAL by default. A put() resolves after
// COMMIT, i.e. after the transaction was write()n to the WAL file. A crash or SIGKILL of the process
// cannot lose it: the bytes are in the kernel's page cache and the kernel writes them out; the next
// open replays the WAL. Only a power loss or kernel panic before the next checkpoint's fsync can lose
// the last commits (never corrupt the file). `synchronous: 'full'` closes that window with one fsync
// per group commit, which group commit makes affordable (see bench/store.bench.ts).
//
// Locking: locking_mode=EXCLUSIVE, taken at open with BEGIN EXCLUSIVE and held until close. A second
// server on the same directory fails at open (LOCKED) instead of both writing the same bindings.
// The OS drops the lock when the process dies, so a restart after SIGKILL opens normally.
// (Side effect: no -shm file, and the sqlite3 shell cannot read the database while the server runs;
// operators use `simplesip ctl`.)
import { accessSync, chmodSync, closeSync, constants, openSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { BINDING_COLUMNS, BINDING_PLACEHOLDERS, BINDING_REFRESH, BINDING_UPDATES, bindingFromRow, bindingParams, refreshParams } from './binding-row.js';
import type { BindingParams, BindingRow } from './binding-row.js';
import { StoreError, closedError, errorMessage, sqliteCode } from './errors.js';
import { GroupCommitter } from './group-commit.js';
import type { GroupCommitOptions } from './group-commit.js';
import { makeDirectory } from './make-directory.js';
import { checkOwnDatabase, migrate } from './migrations.js';
import {
  OFFLINE_COLUMNS, OFFLINE_PLACEHOLDERS, OFFLINE_SUMMARY_PAGE, offlineFromRow, offlineParams, offlineSummaryFromRow, type OfflineRow,
} from './offline-row.js';
import {
  PUBLICATION_COLUMNS, publicationFromRow, publicationParams, ruleFromRow, SUBSCRIPTION_COLUMNS, SUBSCRIPTION_PLACEHOLDERS,
  subscriptionFromRow, subscriptionParams, type PublicationRow, type SubscriptionRow,
} from './presence-rows.js';
import type {
  BindingRecord, BindingStore, OfflineMessageRepository, PresenceRuleRepository, PublicationRepository, StoreHandle,
  StoreOptions, StoreStats, SubscriptionRepository, UserRecord, UserRepository,
} from './types.js';

export const DATABASE_FILE = 'simplesip.db';
const DEFAULT_LOCK_TIMEOUT_MS = 250;
const DEFAULT_PAGE_SIZE = 1000;
const PAGE_CACHE_KIB = 32 * 1024;

interface UserRow {
  username: string;
  domain: string;
  ha1_md5: string;
  ha1_sha256: string;
  created_at: number;
}

function userFromRow(row: UserRow): UserRecord {
  return { username: row.username, domain: row.domain, ha1Md5: row.ha1_md5, ha1Sha256: row.ha1_sha256, createdAt: row.created_at };
}

/** Creates DIR if needed and proves it is a writable directory, with a message an operator can act on. */
function prepareDirectory(dir: string): void {
  let existing: Stats | undefined;
  try {
    existing = statSync(dir, { throwIfNoEntry: false });
  } catch {
    // ENOTDIR, EACCES on a parent: makeDirectory below fails too and reports it.
  }
  if (existing !== undefined && !existing.isDirectory()) throw new StoreError('NOT_WRITABLE', `data directory ${dir} is not a directory`);
  try {
    // Only the server's user may look inside a directory we make: the database holds the users'
    // digest hashes (HA1), and an HA1 answers a challenge as well as the password would.
    makeDirectory(dir, 0o700);
  } catch (err) {
    throw new StoreError('NOT_WRITABLE', `cannot create data directory ${dir}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new StoreError('NOT_WRITABLE', `data directory ${dir} is not writable: ${errorMessage(err)}`, { cause: err });
  }
}

/** Private to the server's user whatever the umask (SQLite gives its -wal and -journal files the database's mode). */
const DATABASE_MODE = 0o600;

/**
 * The database file, made private before SQLite opens it: created with mode 0600, or, when an earlier
 * version (or a permissive umask) left it readable by others, narrowed to 0600. One this user cannot
 * write (owned by root after a first `sudo npm start`, say) stops the start with its owner and mode.
 */
function makePrivate(file: string): void {
  const found = statSync(file, { throwIfNoEntry: false });
  if (found === undefined) {
    try {
      closeSync(openSync(file, 'a', DATABASE_MODE));
    } catch {
      // Opening it reports why (not writable, ...).
    }
    return;
  }
  try {
    accessSync(file, constants.R_OK | constants.W_OK);
  } catch (err) {
    // SQLite would say "disk I/O error" (it fails to lock a file it opened read-only).
    throw new StoreError('NOT_WRITABLE', `cannot open ${file} for writing (owner uid ${found.uid}, mode ${(found.mode & 0o777).toString(8)}): ${errorMessage(err)}`, { cause: err });
  }
  for (const f of [file, `${file}-wal`, `${file}-journal`]) {
    const st = f === file ? found : statSync(f, { throwIfNoEntry: false });
    if (st === undefined || (st.mode & 0o077) === 0) continue;
    try {
      chmodSync(f, st.mode & 0o700);
    } catch {
      // Not ours to change.
    }
  }
}

function openError(err: unknown, file: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = sqliteCode(err) ?? '';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new StoreError('LOCKED', `another simplesip server is using ${file} (the database is locked)`, { cause: err });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StoreError('INCOMPATIBLE', `${file} is not a simplesip database: ${errorMessage(err)}`, { cause: err });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM') {
    return new StoreError('NOT_WRITABLE', `cannot open ${file} for writing: ${errorMessage(err)}`, { cause: err });
  }
  return new StoreError('IO', `cannot open ${file}: ${errorMessage(err)}`, { cause: err });
}

function openDatabase(file: string, options: StoreOptions): Db {
  let db: Db | undefined;
  try {
    db = new Database(file, { timeout: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS });
    // EXCLUSIVE must be set before WAL is entered, so the WAL index lives in heap memory and the lock
    // is never released between transactions.
    db.pragma('locking_mode = EXCLUSIVE');
    checkOwnDatabase(db, file);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new StoreError('IO', `${file}: SQLite refused WAL mode (journal_mode is ${String(mode)})`);
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    // A binding row and its index entries take about 350 bytes: SQLite's default 2 MB page cache
    // holds 6000 of them, and every other REGISTER read its pages back through the kernel. 32 MB (an
    // upper bound, allocated as pages are used) holds about 90 000.
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    migrate(db, file);
    return db;
  } catch (err) {
    try {
      db?.close();
    } catch {
      // The open already failed; the first error is the one to report.
    }
    throw openError(err, file);
  }
}

class SqliteStore implements StoreHandle {
  readonly kind = 'sqlite' as const;
  readonly users: UserRepository;
  readonly bindings: BindingStore;
  readonly offlineMessages: OfflineMessageRepository;
  readonly publications: PublicationRepository;
  readonly subscriptions: SubscriptionRepository;
  readonly presenceRules: PresenceRuleRepository;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly committer: GroupCommitter;

  constructor(private readonly db: Db, readonly path: string, commitOptions: GroupCommitOptions) {
    this.committer = new GroupCommitter(db, commitOptions);
    // Prepared once: preparing per call would cost more than the insert itself.
    const s = {
      userAll: db.prepare('SELECT username, domain, ha1_md5, ha1_sha256, created_at FROM users ORDER BY domain, username'),
      userPut: db.prepare('INSERT OR REPLACE INTO users (username, domain, ha1_md5, ha1_sha256, created_at) VALUES (?, ?, ?, ?, ?)'),
      userRemove: db.prepare('DELETE FROM users WHERE username = ? AND domain = ?'),
      bindingAll: db.prepare(`SELECT ${BINDING_COLUMNS} FROM bindings`).raw(),
      bindingPage: db.prepare(`SELECT ${BINDING_COLUMNS} FROM bindings WHERE id > ? ORDER BY id LIMIT ?`).raw(),
      bindingPut: db.prepare(
        `INSERT INTO bindings (${BINDING_COLUMNS}) VALUES (${BINDING_PLACEHOLDERS}) ON CONFLICT (id) DO UPDATE SET ${BINDING_UPDATES}`,
      ),
      bindingRefresh: db.prepare(BINDING_REFRESH),
      bindingRemove: db.prepare('DELETE FROM bindings WHERE id = ?'),
      bindingExpire: db.prepare('DELETE FROM bindings WHERE expires_at <= ?'),
      bindingCount: db.prepare('SELECT count(*) FROM bindings').pluck(),
      messageAll: db.prepare(`SELECT ${OFFLINE_COLUMNS} FROM offline_messages ORDER BY id`),
      messagePage: db.prepare(OFFLINE_SUMMARY_PAGE).raw(),
      messageGet: db.prepare(`SELECT ${OFFLINE_COLUMNS} FROM offline_messages WHERE id = ?`),
      messagePut: db.prepare(`INSERT OR REPLACE INTO offline_messages (${OFFLINE_COLUMNS}) VALUES (${OFFLINE_PLACEHOLDERS})`),
      messageRemove: db.prepare('DELETE FROM offline_messages WHERE id = ?'),
      messageLastId: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'offline_messages'").pluck(),
      publicationAll: db.prepare(`SELECT ${PUBLICATION_COLUMNS} FROM publications`).raw(),
      publicationPut: db.prepare(`INSERT OR REPLACE INTO publications (${PUBLICATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      publicationRemove: db.prepare('DELETE FROM publications WHERE etag = ?'),
      subscriptionAll: db.prepare(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions`).raw(),
      subscriptionPut: db.prepare(`INSERT OR REPLACE INTO subscriptions (${SUBSCRIPTION_COLUMNS}) VALUES (${SUBSCRIPTION_PLACEHOLDERS})`),
      subscriptionRemove: db.prepare('DELETE FROM subscriptions WHERE id = ?'),
      ruleAll: db.prepare('SELECT presentity, watcher, decision FROM presence_rules').raw(),
      rulePut: db.prepare('INSERT OR REPLACE INTO presence_rules (presentity, watcher, decision) VALUES (?, ?, ?)'),
      ruleRemove: db.prepare('DELETE FROM presence_rules WHERE presentity = ? AND watcher = ?'),
    };
    this.users = {
      all: () => this.read(() => (s.userAll.all() as UserRow[]).map(userFromRow)),
      put: (u) =>
        this.write(() => [u.username, u.domain, u.ha1Md5, u.ha1Sha256, u.createdAt], (p) => {
          s.userPut.run(p);
        }),
      remove: (username, domain) => this.write(() => [username, domain], (p) => s.userRemove.run(p).changes > 0),
    };
    this.bindings = {
      all: () =>
        this.read(() => {
          // The cursor is drained synchronously, so no other statement can run while it is open.
          const out: BindingRecord[] = [];
          for (const row of s.bindingAll.iterate() as IterableIterator<BindingRow>) out.push(bindingFromRow(row));
          return out;
        }),
      put: (b) =>
        this.write(() => bindingParams(b), (p) => {
          s.bindingPut.run(p);
        }),
      // The full parameters are taken now too: a binding whose row is gone (removed while it was
      // refreshed) is inserted whole, as put() would.
      refresh: (b) =>
        this.write(() => bindingParams(b), (p) => {
          if (s.bindingRefresh.run(refreshParams(p)).changes === 0) s.bindingPut.run(p);
        }),
      remove: (id) =>
        this.write(() => [id], (p) => {
          s.bindingRemove.run(p);
        }),
      // One queued operation: the group commit runs it in one transaction, alone when its batch
      // fails (group-commit.ts), so its statements are committed or rolled back together.
      batch: (writes) =>
        this.write(() => writes.map((w) => (w.kind === 'remove' ? { kind: w.kind, p: [w.id] } : { kind: w.kind, p: bindingParams(w.binding) })),
          (list) => {
            for (const { kind, p } of list) {
              if (kind === 'remove') s.bindingRemove.run(p);
              else if (kind === 'put' || s.bindingRefresh.run(refreshParams(p as BindingParams)).changes === 0) s.bindingPut.run(p);
            }
          }),
      removeExpired: (now) => this.write(() => [now], (p) => s.bindingExpire.run(p).changes),
      count: () => this.read(() => s.bindingCount.get() as number),
      iterate: (pageSize = DEFAULT_PAGE_SIZE) => this.pages(s.bindingPage, pageSize, '', bindingFromRow),
    };
    this.offlineMessages = {
      all: () => this.read(() => (s.messageAll.all() as OfflineRow[]).map(offlineFromRow)),
      summaries: (pageSize = DEFAULT_PAGE_SIZE) => this.pages(s.messagePage, pageSize, 0, offlineSummaryFromRow),
      get: (id) =>
        this.read(() => {
          const row = s.messageGet.get(id) as OfflineRow | undefined;
          return row === undefined ? undefined : offlineFromRow(row);
        }),
      put: (m) =>
        this.write(() => offlineParams(m), (p) => {
          s.messagePut.run(p);
        }),
      remove: (id) =>
        this.write(() => [id], (p) => {
          s.messageRemove.run(p);
        }),
      lastId: () => this.read(() => (s.messageLastId.get() as number | undefined) ?? 0),
    };
    this.publications = {
      all: () => this.read(() => (s.publicationAll.all() as PublicationRow[]).map(publicationFromRow)),
      put: (x) => this.write(() => publicationParams(x), (p) => { s.publicationPut.run(p); }),
      remove: (etag) => this.write(() => [etag], (p) => { s.publicationRemove.run(p); }),
      replace: (x, removed) => this.write(() => publicationParams(x), (p) => {
        s.publicationPut.run(p);
        for (const etag of removed) s.publicationRemove.run(etag);
      }),
    };
    this.subscriptions = {
      all: () => this.read(() => (s.subscriptionAll.all() as SubscriptionRow[]).map(subscriptionFromRow)),
      put: (x) => this.write(() => subscriptionParams(x), (p) => { s.subscriptionPut.run(p); }),
      remove: (id) => this.write(() => [id], (p) => { s.subscriptionRemove.run(p); }),
    };
    this.presenceRules = {
      all: () => this.read(() => (s.ruleAll.all() as Array<[string, string, string]>).map(ruleFromRow)),
      put: (r) => this.write(() => [r.presentity, r.watcher, r.decision], (p) => { s.rulePut.run(p); }),
      remove: (presentity, watcher) => this.write(() => [presentity, watcher], (p) => { s.ruleRemove.run(p); }),
    };
  }

  stats(): StoreStats {
    return { transactions: this.committer.transactions, writes: this.committer.writes, pending: this.committer.pending };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    try {
      this.committer.flush();
    } finally {
      this.committer.failPending(closedError());
      // close() checkpoints the WAL into the database file and removes it.
      this.db.close();
    }
  }

  /**
   * Parameters are computed now (a malformed record rejects its own put, and later mutation of the
   * caller's object cannot change what is written); the statement runs in the next group commit.
   */
  private write<P, T>(params: () => P, apply: (p: P) => T): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    let p: P;
    try {
      p = params();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.committer.enqueue(() => apply(p));
  }

  /** Reads commit what is queued first, so a read sees every write made before it. */
  private read<T>(query: () => T): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    try {
      this.committer.flush();
      return Promise.resolve(query());
    } catch (err) {
      return Promise.reject(new StoreError('IO', `store read failed: ${errorMessage(err)}`, { cause: err }));
    }
  }

  // Keyset pages instead of one cursor: better-sqlite3 forbids other statements on the connection
  // while an iterator is open, and group commits must keep running while a caller walks 1M rows.
  // `page` selects raw rows whose first column is the key, after its first parameter.
  private async *pages<R extends [string | number, ...unknown[]], T>(
    page: Statement, pageSize: number, first: R[0], convert: (row: R) => T,
  ): AsyncIterableIterator<T> {
    let after = first;
    for (;;) {
      const rows = await this.read(() => page.all(after, pageSize) as R[]);
      for (const row of rows) yield convert(row);
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1][0];
    }
  }
}

export interface SqliteInternals {
  /** Benchmark baseline only. */
  commit?: GroupCommitOptions;
}

export function openSqliteStore(options: StoreOptions, internals: SqliteInternals = {}): StoreHandle {
  const dir = options.dataDir;
  if (dir === undefined || dir === '') throw new StoreError('CONFIG', 'the sqlite store needs a data directory (dataDir)');
  prepareDirectory(dir);
  const file = join(dir, DATABASE_FILE);
  makePrivate(file);
  return new SqliteStore(openDatabase(file, options), file, { windowMs: options.commitWindowMs, ...internals.commit });
}
