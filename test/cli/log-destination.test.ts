// The server's log destination: each line written at once, and a standard error that has gone away
// (a hung-up terminal: EIO; a descriptor that cannot be written: EBADF) silences the log at the first
// failure instead of throwing into the caller or retrying for ever.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stderrLogDestination } from '../../src/cli/log-destination.js';

test('lines are written whole and at once', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'log');
  const fd = openSync(file, 'w');
  const destination = stderrLogDestination(fd);
  destination.write('{"msg":"one"}\n');
  assert.equal(readFileSync(file, 'utf8'), '{"msg":"one"}\n', 'on disk before write() returned');
  destination.write(`${'x'.repeat(100_000)}\n`);
  closeSync(fd);
  assert.equal(readFileSync(file, 'utf8').length, 14 + 100_001);
});

test('a destination that fails is dropped at once: no throw, no retry', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'log');
  closeSync(openSync(file, 'w'));
  const readOnly = openSync(file, 'r');
  t.after(() => closeSync(readOnly));
  const destination = stderrLogDestination(readOnly);
  // A retry loop would never return from the first call (the test would time out).
  assert.doesNotThrow(() => {
    for (let i = 0; i < 1000; i++) destination.write('{"msg":"lost"}\n');
  });
  assert.equal(readFileSync(file, 'utf8'), '');
});
