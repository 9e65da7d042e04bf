// A simplesip.db that another program wrote (tables, but no schema_version) is refused with a
// clear "not a simplesip database" and left byte for byte as it was: no schema_version added, no
// switch to WAL. Before, the server quietly added its tables to it. README "Storage".
import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DATABASE_FILE, openStore, StoreError } from '../../src/store/index.js';
import { tempDir } from './helpers.js';

test('a non-empty database without schema_version is refused (INCOMPATIBLE) and left untouched', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = join(dir, DATABASE_FILE);
  const foreign = new Database(file);
  foreign.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('mine')");
  foreign.close();
  const before = readFileSync(file);

  await assert.rejects(openStore({ kind: 'sqlite', dataDir: dir }), (err: unknown) =>
    err instanceof StoreError && err.code === 'INCOMPATIBLE'
    && /simplesip\.db is not a simplesip database \(it has tables notes but no schema_version\)/.test(err.message));
  assert.ok(readFileSync(file).equals(before), 'the file is unchanged');
  assert.equal(existsSync(`${file}-wal`), false);
});

test('an empty database file is a new simplesip database', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  new Database(join(dir, DATABASE_FILE)).close();
  const store = await openStore({ kind: 'sqlite', dataDir: dir });
  await store.close();
});
