// The sqlite engine beyond the shared contract: files, restart, group commit, locking, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE, SCHEMA_VERSION, StoreError, openStore } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { OFFLINE_SUMMARY_PAGE, offlineMessageBytes } from '../../src/store/offline-row.js';
import type { StoreErrorCode } from '../../src/store/index.js';
import { byId, byUser, fullBinding, minimalBinding, tempDir, user } from './helpers.js';

function isStoreError(code: StoreErrorCode, message: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  };
}

test('creates the data directory (nested) and DIR/simplesip.db in WAL mode with the schema version', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const dataDir = join(dir, 'a', 'b');
  const s = await openStore({ kind: 'sqlite', dataDir });
  assert.equal(s.path, join(dataDir, DATABASE_FILE));
  assert.ok(existsSync(s.path));
  await s.close();
  const raw = new Database(join(dataDir, 'simplesip.db'), { readonly: true });
  t.after(() => raw.close());
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(raw.prepare('SELECT max(version) FROM schema_version').pluck().get(), SCHEMA_VERSION);
  const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
  // Later migrations add tables of their own (offline messages, subscriptions, ...).
  for (const name of ['bindings', 'offline_messages', 'schema_version', 'users']) assert.ok(tables.includes(name), name);
});

test('the data directory it makes and the database files are private to the server\'s user, whatever the umask', async (t) => {
  // The database holds every user's HA1, which answers a digest challenge as well as the password.
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const umask = process.umask(0o022);
  t.after(() => process.umask(umask));
  const dataDir = join(dir, 'data');
  const file = join(dataDir, DATABASE_FILE);
  const s = await openStore({ kind: 'sqlite', dataDir });
  await s.users.put(user('alice'));
  const mode = (path: string): number => statSync(path).mode & 0o777;
  assert.equal(mode(dataDir), 0o700);
  assert.equal(mode(file), 0o600);
  assert.ok(existsSync(`${file}-wal`), 'the write is in the WAL');
  assert.equal(mode(`${file}-wal`), 0o600, 'SQLite gives the WAL the database\'s mode');
  await s.close();
  // A database an earlier version left readable by everyone is narrowed when opened.
  chmodSync(file, 0o644);
  chmodSync(dataDir, 0o755);
  const again = await openStore({ kind: 'sqlite', dataDir });
  assert.equal(mode(file), 0o600);
  assert.equal(mode(dataDir), 0o755, 'a directory the operator chose is left as it is');
  await again.close();
});

test('restart: users and bindings put, closed and reopened read back equal', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const users = [user('alice'), user('Alice'), user('bob', 'example.org')];
  const bindings = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? fullBinding(i) : minimalBinding(i)));
  const s1 = await openStore({ kind: 'sqlite', dataDir: dir });
  await Promise.all([...users.map((u) => s1.users.put(u)), ...bindings.map((b) => s1.bindings.put(b))]);
  await s1.bindings.remove(bindings[5].id);
  await s1.close();
  const s2 = await openStore({ kind: 'sqlite', dataDir: dir });
  t.after(() => s2.close());
  assert.deepEqual((await s2.users.all()).sort(byUser), [...users].sort(byUser));
  assert.deepEqual((await s2.bindings.all()).sort(byId), bindings.filter((_, i) => i !== 5).sort(byId));
});

test('group commit: puts of one turn share one transaction; puts of separate turns do not', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const s = await openStore({ kind: 'sqlite', dataDir: dir });
  t.after(() => s.close());
  const before = s.stats().transactions;
  const puts = Array.from({ length: 1000 }, (_, i) => s.bindings.put(minimalBinding(i)));
  puts.push(s.users.put(user('erin')), s.bindings.remove(minimalBinding(3).id));
  assert.equal(s.stats().pending, 1002);
  let transactionsAtFirstResolve = -1;
  void puts[0].then(() => (transactionsAtFirstResolve = s.stats().transactions));
  await Promise.all(puts);
  assert.equal(s.stats().transactions - before, 1, 'one transaction for the whole turn');
  assert.equal(transactionsAtFirstResolve - before, 1, 'put() resolved only after the commit');
  assert.equal(s.stats().pending, 0);
  for (let i = 0; i < 3; i++) await s.bindings.put(minimalBinding(2000 + i));
  assert.equal(s.stats().transactions - before, 4);
  assert.equal(await s.bindings.count(), 1002);
});

test('commit window: writes of later turns inside the window join the same commit, which comes before they resolve', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const s = await openStore({ kind: 'sqlite', dataDir: dir, commitWindowMs: 30 });
  t.after(() => s.close());
  const before = s.stats().transactions;
  const first = s.bindings.put(minimalBinding(1));
  await new Promise((resolve) => setImmediate(resolve));
  const second = s.bindings.put(minimalBinding(2));
  assert.equal(s.stats().pending, 2, 'nothing committed before the window ends');
  await Promise.all([first, second]);
  assert.equal(s.stats().transactions - before, 1);
  assert.equal(await s.bindings.count(), 2);
});

test('a malformed record rejects its own put only; the rest of its batch commits', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const s = await openStore({ kind: 'sqlite', dataDir: dir });
  t.after(() => s.close());
  const good = [minimalBinding(1), minimalBinding(2)];
  const noReceived = { ...minimalBinding(3), received: undefined } as unknown as ReturnType<typeof minimalBinding>;
  const nullAor = { ...minimalBinding(4), aor: null } as unknown as ReturnType<typeof minimalBinding>;
  const results = await Promise.allSettled([s.bindings.put(good[0]), s.bindings.put(noReceived), s.bindings.put(nullAor), s.bindings.put(good[1])]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled']);
  assert.match(String((results[2] as PromiseRejectedResult).reason), /NOT NULL/);
  assert.deepEqual((await s.bindings.all()).sort(byId), good);
});

test('close() commits what is still queued, then closes; the data is there after reopening', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const s1 = await openStore({ kind: 'sqlite', dataDir: dir });
  const puts = Array.from({ length: 50 }, (_, i) => s1.bindings.put(minimalBinding(i)));
  const userPut = s1.users.put(user('frank'));
  const closing = s1.close();
  await Promise.all([...puts, userPut, closing]);
  await assert.rejects(s1.bindings.put(minimalBinding(99)), isStoreError('CLOSED', /closed/));
  const s2 = await openStore({ kind: 'sqlite', dataDir: dir });
  t.after(() => s2.close());
  assert.equal(await s2.bindings.count(), 50);
  assert.deepEqual(await s2.users.all(), [user('frank')]);
});

test('a second store on the same directory in the same process fails with LOCKED; the first keeps working', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const s1 = await openStore({ kind: 'sqlite', dataDir: dir });
  await assert.rejects(
    openStore({ kind: 'sqlite', dataDir: dir, lockTimeoutMs: 50 }),
    isStoreError('LOCKED', new RegExp(`another simplesip server is using ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/simplesip\\.db`)),
  );
  await s1.bindings.put(minimalBinding(1));
  assert.equal(await s1.bindings.count(), 1);
  await s1.close();
  const s2 = await openStore({ kind: 'sqlite', dataDir: dir });
  assert.equal(await s2.bindings.count(), 1);
  await s2.close();
});

test('a store held by another process fails with LOCKED, and opens once that process is gone', { timeout: 20_000 }, async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/store/fixtures/writer.ts', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  child.stdout.setEncoding('utf8');
  let text = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      text += chunk;
      if (text.startsWith('ready\n')) resolve();
    });
    child.on('exit', () => reject(new Error(`writer exited: ${text}`)));
  });
  await assert.rejects(openStore({ kind: 'sqlite', dataDir: dir, lockTimeoutMs: 50 }), isStoreError('LOCKED', /another simplesip server is using .*simplesip\.db/));
  child.kill('SIGKILL');
  await exited;
  const s = await openStore({ kind: 'sqlite', dataDir: dir });
  assert.ok((await s.bindings.count()) >= 0);
  await s.close();
});

test('a data directory that cannot be created or written fails with NOT_WRITABLE', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = join(dir, 'plain-file');
  writeFileSync(file, 'x');
  await assert.rejects(openStore({ kind: 'sqlite', dataDir: file }), isStoreError('NOT_WRITABLE', /plain-file is not a directory/));
  await assert.rejects(openStore({ kind: 'sqlite', dataDir: join(file, 'sub') }), isStoreError('NOT_WRITABLE', /cannot create data directory .*plain-file\/sub/));
});

test('a read-only data directory fails with NOT_WRITABLE', async (t) => {
  const { dir, cleanup } = tempDir();
  const ro = join(dir, 'ro');
  mkdirSync(ro);
  // Hooks run in the order they are added: undo the read-only state before removing the directory.
  if (process.getuid?.() === 0) {
    // Root writes through permission bits: make the directory a read-only file system instead.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro]);
    t.after(() => execFileSync('umount', [ro]));
  } else {
    chmodSync(ro, 0o500);
    t.after(() => chmodSync(ro, 0o700));
  }
  t.after(cleanup);
  await assert.rejects(openStore({ kind: 'sqlite', dataDir: ro }), isStoreError('NOT_WRITABLE', /is not writable/));
});

test('a database file this user cannot write (left by root, say) fails with NOT_WRITABLE naming its owner and mode', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const dataDir = join(dir, 'data');
  await (await openStore({ kind: 'sqlite', dataDir })).close();
  const file = join(dataDir, DATABASE_FILE);
  if (process.getuid?.() === 0) {
    // Root writes through permission bits: open it as nobody, in a child, from a directory nobody may write.
    chmodSync(dir, 0o755);
    chmodSync(dataDir, 0o777);
    const script = `import('${join(process.cwd(), 'dist', 'store', 'index.js')}').then((m) => m.openStore({ kind: 'sqlite', dataDir: '${dataDir}' }))` +
      '.then(() => console.log("opened"), (e) => console.log(e.code, e.message))';
    const out = execFileSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
    assert.match(out, /^NOT_WRITABLE cannot open .*simplesip\.db for writing \(owner uid 0, mode 600\)/);
  } else {
    chmodSync(file, 0o400);
    await assert.rejects(openStore({ kind: 'sqlite', dataDir }), isStoreError('NOT_WRITABLE', /simplesip\.db for writing \(owner uid \d+, mode 400\)/));
  }
});

test('sqlite without dataDir fails with CONFIG', async () => {
  await assert.rejects(openStore({ kind: 'sqlite' }), isStoreError('CONFIG', /data directory/));
});

test('a file that is not a database, or a newer schema, fails with INCOMPATIBLE and is left untouched', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const junkDir = join(dir, 'junk');
  const s = await openStore({ kind: 'sqlite', dataDir: junkDir });
  await s.close();
  writeFileSync(join(junkDir, 'simplesip.db'), 'not a database, just text long enough to have a header ........................................');
  await assert.rejects(openStore({ kind: 'sqlite', dataDir: junkDir }), isStoreError('INCOMPATIBLE', /not a simplesip database/));

  const newer = join(dir, 'newer');
  const s2 = await openStore({ kind: 'sqlite', dataDir: newer });
  await s2.close();
  const raw = new Database(join(newer, 'simplesip.db'));
  raw.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'future', 0);
  raw.close();
  await assert.rejects(openStore({ kind: 'sqlite', dataDir: newer }), isStoreError('INCOMPATIBLE', /schema version \d+, newer than this simplesip/));
});

test('a version 3 database (bindings with the expires_at index) opens, keeps its bindings and loses the index', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = join(dir, DATABASE_FILE);
  // Version 3 as released: its migrations only (migrations after it alter its tables).
  const raw = new Database(file);
  raw.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  for (const m of MIGRATIONS.filter((x) => x.version <= 3)) {
    raw.exec(m.sql);
    raw.prepare('INSERT INTO schema_version VALUES (?, ?, 0)').run(m.version, m.description);
  }
  raw.close();
  const s = await openStore({ kind: 'sqlite', dataDir: dir });
  await s.bindings.put(minimalBinding(1, { expiresAt: 100 }));
  await s.bindings.put(minimalBinding(2, { expiresAt: 300 }));
  assert.equal(await s.bindings.removeExpired(200), 1);
  assert.deepEqual(await s.bindings.all(), [minimalBinding(2, { expiresAt: 300 })]);
  await s.close();
  const check = new Database(file, { readonly: true });
  t.after(() => check.close());
  assert.equal(check.prepare('SELECT max(version) FROM schema_version').pluck().get(), SCHEMA_VERSION);
  assert.deepEqual(check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bindings' AND sql IS NOT NULL").pluck().all(), []);
});

test('a version 6 database gets the summary index: a start reads the offline messages\' ids, AORs, expiries and sizes from it, never the table\'s body pages', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = join(dir, DATABASE_FILE);
  const raw = new Database(file);
  raw.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  for (const m of MIGRATIONS.filter((x) => x.version <= 6)) {
    raw.exec(m.sql);
    raw.prepare('INSERT INTO schema_version VALUES (?, ?, 0)').run(m.version, m.description);
  }
  raw.prepare('INSERT INTO offline_messages (aor, from_header, received_at, expires_at, content_type, body, headers) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run('sip:bob@example.com', '<sip:alice@example.com>', 1, 9_000, 'text/plain', Buffer.alloc(1024, 'x'), '[["Subject","Grüße"]]');
  raw.close();
  const s = await openStore({ kind: 'sqlite', dataDir: dir });
  const summaries = [];
  for await (const m of s.offlineMessages.summaries()) summaries.push(m);
  // Its size as stored (migration 8): a body of 1024, the sender, the Content-Type and the headers
  // (in UTF-8), as a message stored now counts it.
  const size = 1024 + '<sip:alice@example.com>'.length + 'text/plain'.length + Buffer.byteLength('[["Subject","Grüße"]]');
  assert.deepEqual(summaries, [{ id: 1, aor: 'sip:bob@example.com', expiresAt: 9_000, bytes: size }]);
  const whole = await s.offlineMessages.get(1);
  assert.equal(whole === undefined ? undefined : offlineMessageBytes(whole), size);
  await s.close();
  const check = new Database(file, { readonly: true });
  t.after(() => check.close());
  const plan = check.prepare(`EXPLAIN QUERY PLAN ${OFFLINE_SUMMARY_PAGE}`).all(0, 1000) as Array<{ detail: string }>;
  assert.deepEqual(plan.map((p) => p.detail), ['SEARCH offline_messages USING COVERING INDEX offline_messages_summary (id>?)']);
});

test('synchronous: full opens and stores like the default', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const s = await openStore({ kind: 'sqlite', dataDir: dir, synchronous: 'full' });
  await s.bindings.put(fullBinding(1));
  assert.deepEqual(await s.bindings.all(), [fullBinding(1)]);
  await s.close();
});

test('100k bindings: load with all() and iterate() after a restart (timings as diagnostics)', { timeout: 120_000 }, async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const N = 100_000;
  const s1 = await openStore({ kind: 'sqlite', dataDir: dir });
  let start = performance.now();
  for (let i = 0; i < N; i += 5000) {
    await Promise.all(Array.from({ length: 5000 }, (_, k) => s1.bindings.put((i + k) % 4 === 0 ? fullBinding(i + k) : minimalBinding(i + k))));
  }
  const writeMs = performance.now() - start;
  await s1.close();
  const s2 = await openStore({ kind: 'sqlite', dataDir: dir });
  t.after(() => s2.close());
  start = performance.now();
  const all = await s2.bindings.all();
  const allMs = performance.now() - start;
  assert.equal(all.length, N);
  start = performance.now();
  let n = 0;
  for await (const b of s2.bindings.iterate()) {
    if (b.id) n++;
  }
  const iterMs = performance.now() - start;
  assert.equal(n, N);
  t.diagnostic(`100k bindings: write ${writeMs.toFixed(0)} ms, all() ${allMs.toFixed(0)} ms, iterate() ${iterMs.toFixed(0)} ms`);
});

test('a batch whose statement fails leaves every row as it was, and the next write commits', async (t) => {
  // RFC 3261 10.3 step 7: the bindings of one REGISTER are stored all or none.
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const s = await openStore({ kind: 'sqlite', dataDir: dir, commitWindowMs: 5 });
  t.after(() => s.close());
  await s.bindings.put(minimalBinding(1));
  const broken = { ...minimalBinding(3), aor: null } as unknown as ReturnType<typeof minimalBinding>; // NOT NULL
  const alongside = s.bindings.put(minimalBinding(4)); // in the same group commit: unaffected
  await assert.rejects(s.bindings.batch([{ kind: 'remove', id: minimalBinding(1).id }, { kind: 'put', binding: minimalBinding(2) }, { kind: 'put', binding: broken }]),
    isStoreError('IO', /store write failed/));
  await alongside;
  assert.deepEqual((await s.bindings.all()).sort(byId), [minimalBinding(1), minimalBinding(4)].sort(byId));
});
