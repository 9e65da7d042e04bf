// Schema versions. Each migration runs once, in its own transaction, and records itself in
// schema_version; later issues append migrations (subscriptions, publications, offline messages),
// never edit the ones already released.
import type { Database } from 'better-sqlite3';
import { StoreError } from './errors.js';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'users and bindings',
    // users: a handful of rows looked up by the composite key only: WITHOUT ROWID stores them in
    // the key's b-tree, no second index.
    // bindings: one row per contact. Scalars get their own columns (ctl and later queries can filter
    // on them); the small lists (path, methods, flags) are JSON text, decoded only on load.
    // The expires_at index served removeExpired() (dropped again by version 4).
    sql: `
      CREATE TABLE users (
        username   TEXT NOT NULL,
        domain     TEXT NOT NULL,
        ha1_md5    TEXT NOT NULL,
        ha1_sha256 TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (username, domain)
      ) WITHOUT ROWID;
      CREATE TABLE bindings (
        id                TEXT PRIMARY KEY NOT NULL,
        aor               TEXT NOT NULL,
        contact           TEXT NOT NULL,
        expires_at        INTEGER NOT NULL,
        q                 REAL,
        call_id           TEXT NOT NULL,
        cseq              INTEGER NOT NULL,
        user_agent        TEXT,
        received_protocol TEXT NOT NULL,
        received_address  TEXT NOT NULL,
        received_port     INTEGER NOT NULL,
        socket            TEXT NOT NULL,
        connection_id     TEXT,
        path              TEXT NOT NULL,
        methods           TEXT,
        instance          TEXT,
        reg_id            INTEGER,
        flags             TEXT NOT NULL,
        last_keepalive    INTEGER,
        last_modified     INTEGER NOT NULL
      );
      CREATE INDEX bindings_expires_at ON bindings (expires_at);
    `,
  },
  {
    version: 2,
    description: 'offline messages',
    // One row per stored MESSAGE; the id (assigned in arrival order) is the rowid, so loading them by
    // id returns them oldest first without an index of its own.
    sql: `
      CREATE TABLE offline_messages (
        id           INTEGER PRIMARY KEY NOT NULL,
        aor          TEXT NOT NULL,
        from_header  TEXT NOT NULL,
        received_at  INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        content_type TEXT,
        body         BLOB NOT NULL
      );
    `,
  },
  {
    version: 3,
    description: 'presence publications, subscriptions and rules',
    // Few rows per user, all loaded at start-up into the presence agent's memory, which is the
    // authority for lookups: no index beyond the primary keys. Route sets are JSON text.
    sql: `
      CREATE TABLE publications (
        etag          TEXT PRIMARY KEY NOT NULL,
        aor           TEXT NOT NULL,
        event         TEXT NOT NULL,
        expires_at    INTEGER NOT NULL,
        content_type  TEXT NOT NULL,
        body          TEXT NOT NULL,
        source        TEXT NOT NULL,
        last_modified INTEGER NOT NULL
      );
      CREATE TABLE subscriptions (
        id            TEXT PRIMARY KEY NOT NULL,
        event         TEXT NOT NULL,
        event_id      TEXT,
        presentity    TEXT NOT NULL,
        watcher       TEXT NOT NULL,
        call_id       TEXT NOT NULL,
        local_tag     TEXT NOT NULL,
        remote_tag    TEXT NOT NULL,
        remote_party  TEXT NOT NULL,
        local_party   TEXT NOT NULL,
        remote_target TEXT NOT NULL,
        route_set     TEXT NOT NULL,
        local_contact TEXT NOT NULL,
        local_cseq    INTEGER NOT NULL,
        remote_cseq   INTEGER NOT NULL,
        expires_at    INTEGER NOT NULL,
        received_protocol TEXT NOT NULL,
        received_address  TEXT NOT NULL,
        received_port     INTEGER NOT NULL,
        connection_id TEXT,
        listener      TEXT NOT NULL,
        created_at    INTEGER NOT NULL
      );
      CREATE TABLE presence_rules (
        presentity TEXT NOT NULL,
        watcher    TEXT NOT NULL,
        decision   TEXT NOT NULL,
        PRIMARY KEY (presentity, watcher)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    description: 'bindings without the expires_at index',
    // Every refresh moved its binding's entry in this index (a delete and an insert, and their
    // pages in each commit) for removeExpired() alone, which the server never calls (it expires
    // bindings from memory and removes them by id): a refreshed row costs about 1 us less SQLite
    // CPU without it (3.4 -> 2.4 us per row at 20 rows per commit); removeExpired() scans instead.
    sql: `
      DROP INDEX IF EXISTS bindings_expires_at;
    `,
  },
  {
    version: 5,
    description: 'offline messages keep their Content-* headers',
    // The headers that describe a stored body besides its type (Content-Encoding, Content-Language,
    // Content-Disposition, ..., Subject), as JSON [[name, value], ...]; NULL for rows stored before
    // (they had none kept) and for messages without any.
    sql: `
      ALTER TABLE offline_messages ADD COLUMN headers TEXT;
    `,
  },
  {
    version: 6,
    description: 'offline message ids are never used twice',
    // AUTOINCREMENT makes SQLite remember the highest id ever inserted (sqlite_sequence), delivered
    // and deleted ones included, so ids handed out after a restart never repeat one an operator or a
    // log has seen. The table is rebuilt (AUTOINCREMENT cannot be added in place); the copy seeds the
    // sequence with the highest id still there.
    sql: `
      ALTER TABLE offline_messages RENAME TO offline_messages_v5;
      CREATE TABLE offline_messages (
        id           INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
        aor          TEXT NOT NULL,
        from_header  TEXT NOT NULL,
        received_at  INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        content_type TEXT,
        body         BLOB NOT NULL,
        headers      TEXT
      );
      INSERT INTO offline_messages (id, aor, from_header, received_at, expires_at, content_type, body, headers)
        SELECT id, aor, from_header, received_at, expires_at, content_type, body, headers FROM offline_messages_v5 ORDER BY id;
      DROP TABLE offline_messages_v5;
    `,
  },
  {
    version: 7,
    description: 'offline message summaries read without their bodies',
    // A start reads each message's id, AOR and expiry only (OfflineMessageSummary). The table's own
    // pages hold the bodies (a 1 KB body sits in its row), so scanning it read them all: 1.4 s for
    // 200 000 messages of 1 KB, 0.4 s through this covering index (about 40 bytes a message).
    sql: `
      CREATE INDEX offline_messages_summary ON offline_messages (id, aor, expires_at);
    `,
  },
  {
    version: 8,
    description: 'offline messages keep their size',
    // --offline-max-bytes counts what the waiting messages take, so a start needs each one's size
    // without reading it: a column (offlineMessageBytes(), computed here for the rows stored before),
    // and the summary index of version 7 covers it too.
    sql: `
      ALTER TABLE offline_messages ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
      UPDATE offline_messages SET bytes = length(body) + length(CAST(from_header AS BLOB))
        + coalesce(length(CAST(content_type AS BLOB)), 0) + coalesce(length(CAST(headers AS BLOB)), 0);
      DROP INDEX offline_messages_summary;
      CREATE INDEX offline_messages_summary ON offline_messages (id, aor, expires_at, bytes);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export function currentVersion(db: Database): number {
  const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * Refuses a database that is not ours: one with tables but no schema_version (another program's
 * file that happens to be called simplesip.db). Called before anything is written, WAL mode
 * included, so such a file is left exactly as it was. An empty file is a new database.
 */
export function checkOwnDatabase(db: Database, file: string): void {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
  if (tables.length === 0 || tables.includes('schema_version')) return;
  const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', ...' : '');
  throw new StoreError(
    'INCOMPATIBLE',
    `${file} is not a simplesip database (it has tables ${shown} but no schema_version); it was left untouched: move it away or choose another --data directory`,
  );
}

/** Brings the database to SCHEMA_VERSION; returns the version it found. */
export function migrate(db: Database, file: string, now: () => number = Date.now): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY NOT NULL,
    description TEXT NOT NULL,
    applied_at  INTEGER NOT NULL
  )`);
  const found = currentVersion(db);
  if (found > SCHEMA_VERSION) {
    // Running an older binary on a newer database would silently ignore or corrupt new tables.
    throw new StoreError(
      'INCOMPATIBLE',
      `${file} has schema version ${found}, newer than this simplesip (${SCHEMA_VERSION}): upgrade simplesip`,
    );
  }
  const record = db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)');
  for (const m of MIGRATIONS) {
    if (m.version <= found) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.description, now());
    })();
  }
  return found;
}
