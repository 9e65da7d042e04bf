// Offline message ids are never used twice, across restarts too: `ctl msg rm ID` taken from an
// earlier listing or a log must never hit another message. Before, the first id after a restart was
// the highest one still stored plus one, so a message delivered (or removed) last came back under a
// newcomer. README "MESSAGE and the offline store"; store migration 6 (AUTOINCREMENT).
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OfflineStore } from '../../src/messaging/offline-store.js';
import { DATABASE_FILE, openStore } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { TimerHeap } from '../../src/transaction/timer-heap.js';
import { storedMessages } from '../helpers/stored-messages.js';
import { tempDir } from '../store/helpers.js';

const BOB = 'sip:bob@example.com';
const timers = new TimerHeap({ now: () => 0, autoRun: false });

async function load(dir: string): Promise<{ offline: OfflineStore; close: () => Promise<void> }> {
  const store = await openStore({ kind: 'sqlite', dataDir: dir });
  const offline = await OfflineStore.load({ repository: store.offlineMessages, expirySeconds: 3600, maxPerUser: 10, timers });
  return { offline, close: async () => { offline.close(); await store.close(); } };
}

async function put(offline: OfflineStore, body: string): Promise<number> {
  const outcome = await offline.store(BOB, '<sip:alice@example.com>', 'text/plain', Buffer.from(body));
  assert.ok(outcome.stored);
  return outcome.message.id;
}

test('an id delivered or removed before a restart is not given to a new message after it', async (t) => {
  const { dir, cleanup } = tempDir('offline-ids-');
  t.after(cleanup);
  const first = await load(dir);
  assert.deepEqual([await put(first.offline, 'one'), await put(first.offline, 'two'), await put(first.offline, 'three')], [1, 2, 3]);
  await first.offline.remove(3);
  await first.offline.remove(2);
  await first.close();

  const second = await load(dir);
  assert.equal(await put(second.offline, 'four'), 4);
  await second.offline.remove(1);
  await second.offline.remove(4);
  await second.close();

  const third = await load(dir);
  t.after(third.close);
  assert.equal(await put(third.offline, 'five'), 5);
});

test('a version 5 database keeps its messages and their ids go on above the highest one', async (t) => {
  const { dir, cleanup } = tempDir('offline-ids-v5-');
  t.after(cleanup);
  const raw = new Database(join(dir, DATABASE_FILE));
  raw.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  for (const m of MIGRATIONS.filter((x) => x.version <= 5)) {
    raw.exec(m.sql);
    raw.prepare('INSERT INTO schema_version VALUES (?, ?, 0)').run(m.version, m.description);
  }
  raw.prepare('INSERT INTO offline_messages (id, aor, from_header, received_at, expires_at, content_type, body, headers) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(7, BOB, '<sip:alice@example.com>', 0, 9_000_000_000_000, 'text/plain', Buffer.from('kept'), '[["Subject","hi"]]');
  raw.close();
  const { offline, close } = await load(dir);
  t.after(close);
  assert.deepEqual((await storedMessages(offline)).map((m) => [m.id, m.body.toString(), m.headers]), [[7, 'kept', [['Subject', 'hi']]]]);
  await offline.remove(7);
  assert.equal(await put(offline, 'next'), 8);
});
