// Every put() that resolved survives a SIGKILL of the process (docs: durability choice in
// src/store/sqlite-store.ts: a commit is in the WAL before put() resolves).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openStore } from '../../src/store/index.js';
import { tempDir } from './helpers.js';

test('SIGKILL of a writer loses no binding whose put() had resolved', { timeout: 30_000 }, async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/store/fixtures/writer.ts', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  let started: (() => void) | undefined;
  const firstId = new Promise<void>((resolve) => (started = resolve));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    text += chunk;
    if (/\nw-/.test(text)) started?.();
  });
  const exited = once(child, 'exit');
  await Promise.race([firstId, exited.then(() => assert.fail(`writer exited early: ${text.slice(0, 200)}`))]);
  await new Promise((r) => setTimeout(r, 1000));
  child.kill('SIGKILL');
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  assert.equal(code, null);
  assert.equal(signal, 'SIGKILL');
  // Drain what the pipe still holds; only complete lines count (the kill may cut the last one).
  if (!child.stdout.readableEnded) await once(child.stdout, 'end');
  const lines = text.split('\n');
  lines.pop();
  assert.equal(lines.shift(), 'ready');
  const printed = lines.filter((l) => l.startsWith('w-'));
  assert.ok(printed.length > 0, 'the writer printed ids');

  const store = await openStore({ kind: 'sqlite', dataDir: dir });
  t.after(() => store.close());
  const ids = new Set((await store.bindings.all()).map((b) => b.id));
  const missing = printed.filter((id) => !ids.has(id));
  t.diagnostic(`printed ${printed.length} ids in ~1 s before SIGKILL, ${ids.size} rows in the database, ${missing.length} missing`);
  assert.deepEqual(missing.slice(0, 10), []);
  assert.ok(ids.size >= printed.length);
});
