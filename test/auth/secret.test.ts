import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateSecret, SECRET_FILE } from '../../src/auth/index.js';

test('without a directory: 32 random bytes per call', () => {
  const a = loadOrCreateSecret();
  assert.equal(a.length, 32);
  assert.notDeepEqual(a, loadOrCreateSecret());
});

test('with a directory: created once (mode 0600, no temporary left), then read back', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-auth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  const first = loadOrCreateSecret(data);
  assert.equal(first.length, 32);
  assert.equal(statSync(join(data, SECRET_FILE)).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(data), [SECRET_FILE]);
  assert.deepEqual(loadOrCreateSecret(data), first);
});

test('a secret file of the wrong size is an error, not silently replaced', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-auth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, SECRET_FILE), 'short');
  assert.throws(() => loadOrCreateSecret(dir), /expected 32 bytes, found 5/);
});
