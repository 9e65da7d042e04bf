// Presence repositories (migration 3) in both engines: publications, subscriptions and rules are
// durable once put() resolves, read back deep-equal, removed by key, and survive a reopen (sqlite).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, SCHEMA_VERSION } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import type { PublicationRecord, SubscriptionRecord } from '../../src/store/types.js';

function publication(etag: string): PublicationRecord {
  return {
    etag, aor: 'sip:bob@example.com', event: 'presence', expiresAt: 5000, contentType: 'application/pidf+xml',
    body: '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@example.com"/>', source: 'udp:127.0.0.1:5070', lastModified: 1,
  };
}

function subscription(id: string, withOptional: boolean): SubscriptionRecord {
  const s: SubscriptionRecord = {
    id, event: 'presence', presentity: 'sip:bob@example.com', watcher: 'sip:alice@example.com', callId: 'c1',
    localTag: 'l1', remoteTag: 'r1', remoteParty: '"Alice" <sip:alice@example.com>', localParty: '<sip:bob@example.com>',
    remoteTarget: 'sip:alice@[::1]:5071', routeSet: ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>'],
    localContact: 'sip:127.0.0.1:5060', localCseq: 7, remoteCseq: 2, expiresAt: 9000,
    received: { protocol: 'tcp', address: '::1', port: 40000 }, listener: 'tcp [::1]:5060', createdAt: 3,
  };
  if (withOptional) {
    s.eventId = 'x';
    s.connectionId = 'tcp-1';
  }
  return s;
}

test('migrations are sorted by version and presence is version 3', () => {
  assert.deepEqual(MIGRATIONS.map((m) => m.version), [...MIGRATIONS.map((m) => m.version)].sort((a, b) => a - b));
  assert.ok(MIGRATIONS.some((m) => m.version === 3 && /publications/.test(m.sql)));
  assert.ok(SCHEMA_VERSION >= 3);
});

for (const kind of ['memory', 'sqlite'] as const) {
  test(`${kind}: publications, subscriptions and rules round-trip and survive a reopen`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'presence-repo-'));
    try {
      const store = await openStore({ kind, dataDir: dir });
      await Promise.all([store.publications.put(publication('e1')), store.publications.put(publication('e2'))]);
      await Promise.all([store.subscriptions.put(subscription('s1', true)), store.subscriptions.put(subscription('s2', false))]);
      await store.presenceRules.put({ presentity: 'sip:bob@example.com', watcher: 'sip:eve@example.com', decision: 'block' });
      await store.presenceRules.put({ presentity: 'sip:bob@example.com', watcher: 'sip:eve@example.com', decision: 'allow' });
      await store.presenceRules.put({ presentity: 'sip:bob@example.com', watcher: 'sip:mallory@example.com', decision: 'block' });
      await store.presenceRules.remove('sip:bob@example.com', 'sip:mallory@example.com');
      await store.presenceRules.remove('sip:bob@example.com', 'sip:nobody@example.com');
      await store.publications.remove('e1');
      await store.subscriptions.remove('s2');
      const check = async (s: typeof store): Promise<void> => {
        assert.deepEqual(await s.publications.all(), [publication('e2')]);
        assert.deepEqual(await s.subscriptions.all(), [subscription('s1', true)]);
        assert.deepEqual(await s.presenceRules.all(), [{ presentity: 'sip:bob@example.com', watcher: 'sip:eve@example.com', decision: 'allow' }]);
      };
      await check(store);
      await store.close();
      if (kind === 'sqlite') {
        const again = await openStore({ kind, dataDir: dir });
        await check(again);
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const kind of ['memory', 'sqlite'] as const) {
  test(`${kind}: replace puts a publication and removes the ones it replaces together`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'presence-repo-'));
    try {
      const store = await openStore({ kind, dataDir: dir });
      await Promise.all([store.publications.put(publication('e1')), store.publications.put(publication('e2'))]);
      assert.ok(store.publications.replace, 'both engines replace');
      await store.publications.replace(publication('e3'), ['e1', 'e2']);
      assert.deepEqual(await store.publications.all(), [publication('e3')]);
      if (kind === 'sqlite') {
        // A PUBLISH is stored whole or not at all (RFC 3903 6): the removal goes back with the failed put.
        const broken = { ...publication('e4'), body: null } as unknown as PublicationRecord; // NOT NULL
        await assert.rejects(store.publications.replace(broken, ['e3']), /store write failed/);
        assert.deepEqual(await store.publications.all(), [publication('e3')]);
      }
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
