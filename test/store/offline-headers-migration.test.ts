// Migration 5 (offline messages keep their Content-* headers): a database written before it opens,
// keeps its stored messages (delivered as before, without the headers that were never kept) and
// stores the headers of new ones. RFC 3261 20.11-20.13; README "Storage".
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { DATABASE_FILE, openStore, SCHEMA_VERSION } from '../../src/store/index.js';
import { tempDir } from './helpers.js';

test('a version 4 database with a stored message opens; new messages keep their headers', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = join(dir, DATABASE_FILE);
  // Version 4 exactly as released: its migrations only.
  const raw = new Database(file);
  raw.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  for (const m of MIGRATIONS.filter((x) => x.version <= 4)) {
    raw.exec(m.sql);
    raw.prepare('INSERT INTO schema_version VALUES (?, ?, 0)').run(m.version, m.description);
  }
  raw.prepare('INSERT INTO offline_messages (id, aor, from_header, received_at, expires_at, content_type, body) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(1, 'sip:bob@example.com', '<sip:alice@example.com>', 1000, 9_000_000_000_000, 'text/plain', Buffer.from('old'));
  raw.close();

  const store = await openStore({ kind: 'sqlite', dataDir: dir });
  await store.offlineMessages.put({
    id: 2, aor: 'sip:bob@example.com', from: '<sip:alice@example.com>', receivedAt: 2000, expiresAt: 9_000_000_000_000,
    contentType: 'text/plain', body: Buffer.from('new'), headers: [['Content-Encoding', 'gzip'], ['Subject', 'hi']],
  });
  const all = await store.offlineMessages.all();
  await store.close();
  assert.deepEqual(all.map((m) => [m.id, m.body.toString(), m.headers]), [
    [1, 'old', undefined],
    [2, 'new', [['Content-Encoding', 'gzip'], ['Subject', 'hi']]],
  ]);
  const check = new Database(file, { readonly: true });
  t.after(() => check.close());
  assert.equal(check.prepare('SELECT max(version) FROM schema_version').pluck().get(), SCHEMA_VERSION);
});
