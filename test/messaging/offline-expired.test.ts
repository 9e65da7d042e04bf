// An offline message past its --offline-expiry is gone at once for every reader: not listed (ctl
// msg list, GET /msg), not counted (ctl stats, /metrics), never delivered, and holds no place in the
// mailbox, although the sweep that deletes expired rows runs only every min(1 h, expiry). README "MESSAGE and the offline store";
// RFC 3428 7 leaves the lifetime of a stored message to the proxy, which promised --offline-expiry.
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OfflineDelivery } from '../../src/messaging/offline-delivery.js';
import { OfflineStore } from '../../src/messaging/offline-store.js';
import type { LocationEvents } from '../../src/registrar/location-service.js';
import type { SipMessage } from '../../src/sip/message.js';
import { openStore } from '../../src/store/index.js';
import type { BindingRecord } from '../../src/store/types.js';
import { TimerHeap } from '../../src/transaction/timer-heap.js';
import { storedMessages } from '../helpers/stored-messages.js';

const BOB = 'sip:bob@example.com';
const HOUR = 3_600_000;

test('an expired message is neither listed nor delivered before the hourly sweep, and frees its place', async () => {
  const clock = { now: 0 };
  // Timers never run: the sweep does not come to the rescue.
  const timers = new TimerHeap({ now: () => clock.now, autoRun: false });
  const store = await openStore({ kind: 'memory', dataDir: '' });
  const offline = await OfflineStore.load({ repository: store.offlineMessages, expirySeconds: 7200, maxPerUser: 2, timers, now: () => clock.now });
  await offline.store(BOB, '<sip:alice@example.com>', 'text/plain', Buffer.from('old news'));
  clock.now = HOUR;
  await offline.store(BOB, '<sip:alice@example.com>', 'text/plain', Buffer.from('still fresh'));
  clock.now = 2 * HOUR + 1; // the first is past its 2 h, the second is not

  assert.deepEqual((await storedMessages(offline, BOB)).map((m) => m.body.toString()), ['still fresh']);
  assert.deepEqual((await storedMessages(offline)).map((m) => m.body.toString()), ['still fresh']);
  assert.equal(offline.count, 1, 'ctl stats and /metrics count what is waiting, as the list shows it');
  // The mailbox holds 2: the expired one does not count.
  assert.equal((await offline.store(BOB, '<sip:alice@example.com>', 'text/plain', Buffer.from('newest'))).stored, true);

  const sent: string[] = [];
  const location = Object.assign(new EventEmitter<LocationEvents>(), { bindingsOf: () => [{}] });
  const delivery = new OfflineDelivery({
    store: offline, location, timers, retrySeconds: 60, log: { warn: () => undefined } as never,
    send: async (request: SipMessage) => { sent.push(request.body.toString()); return 200; },
  });
  delivery.start();
  location.emit('change', { type: 'added', reason: 'registered', binding: { aor: BOB } as BindingRecord });
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(sent, ['still fresh', 'newest']);
  assert.deepEqual(await store.offlineMessages.all(), [], 'the expired row is deleted too');
});
