// OfflineStore and a store that refuses a delete (a full disk): `ctl msg rm` fails, and the message
// still waits (it is still in the store, and a restart would bring it back).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OfflineStore } from '../../src/messaging/offline-store.js';
import { openStore, StoreError } from '../../src/store/index.js';
import { TimerHeap } from '../../src/transaction/timer-heap.js';

const BOB = 'sip:bob@example.com';

test('a message whose delete the store refuses still waits: listed, counted, in the store', async () => {
  const store = await openStore({ kind: 'memory' });
  const repository = store.offlineMessages;
  const offline = await OfflineStore.load({ repository, expirySeconds: 3600, maxPerUser: 10, timers: new TimerHeap({ autoRun: false }) });
  const stored = await offline.store(BOB, '<sip:alice@example.com>', 'text/plain', Buffer.from('still here'));
  assert.ok(stored.stored);
  repository.remove = () => Promise.reject(new StoreError('IO', 'store write failed: database or disk is full'));
  await assert.rejects(offline.remove(stored.message.id), StoreError);
  assert.deepEqual(offline.list(BOB).map((m) => m.body.toString()), ['still here']);
  assert.deepEqual((await repository.all()).map((m) => m.id), [stored.message.id]);
  assert.equal(offline.count, 1);
});
