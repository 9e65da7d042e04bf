// The offline-message repository (migration 2) in both engines: durable once put() resolves, oldest
// first, removed by id, summaries without content and one message whole by id, and still there after
// a reopen (sqlite).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, SCHEMA_VERSION } from '../../src/store/index.js';
import { offlineMessageBytes } from '../../src/store/offline-row.js';
import type { OfflineMessage } from '../../src/store/types.js';

function message(id: number, aor = 'sip:bob@example.com'): OfflineMessage {
  return {
    id, aor, from: '"Alice" <sip:alice@example.com>', receivedAt: 1000 + id, expiresAt: 10_000 + id,
    contentType: 'text/plain;charset=utf-8', body: Buffer.from(`hello ${id} \u00e9\u0000`, 'utf8'),
  };
}

test('schema version 2 or later holds offline messages', () => {
  assert.ok(SCHEMA_VERSION >= 2);
});

for (const kind of ['memory', 'sqlite'] as const) {
  test(`${kind}: put, all (oldest first), remove`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'offline-repo-'));
    try {
      const store = await openStore({ kind, dataDir: dir });
      await Promise.all([store.offlineMessages.put(message(3)), store.offlineMessages.put(message(1)), store.offlineMessages.put(message(2))]);
      const noType = { ...message(4) };
      delete noType.contentType;
      await store.offlineMessages.put(noType);
      let all = await store.offlineMessages.all();
      assert.deepEqual(all.map((m) => m.id), [1, 2, 3, 4]);
      assert.deepEqual(all[0], message(1));
      assert.equal(all[3].contentType, undefined);
      await store.offlineMessages.remove(2);
      all = await store.offlineMessages.all();
      assert.deepEqual(all.map((m) => m.id), [1, 3, 4]);
      // A start reads summaries (no content), page by page; delivery and listings get() the whole message.
      const summaries = [];
      for await (const m of store.offlineMessages.summaries(2)) summaries.push(m);
      assert.deepEqual(summaries, all.map((m) => ({ id: m.id, aor: m.aor, expiresAt: m.expiresAt, bytes: offlineMessageBytes(m) })));
      // Body, sender, Content-Type and headers as stored, in bytes (--offline-max-bytes counts them).
      assert.equal(summaries[0].bytes, Buffer.byteLength(`hello 1 \u00e9\u0000`) + Buffer.byteLength('"Alice" <sip:alice@example.com>') + 'text/plain;charset=utf-8'.length);
      assert.deepEqual(await store.offlineMessages.get(3), message(3));
      assert.equal(await store.offlineMessages.get(2), undefined);
      await store.close();
      if (kind === 'sqlite') {
        const again = await openStore({ kind, dataDir: dir });
        assert.deepEqual((await again.offlineMessages.all()).map((m) => m.id), [1, 3, 4]);
        assert.deepEqual((await again.offlineMessages.all())[0].body, message(1).body);
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
