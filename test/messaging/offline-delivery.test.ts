// Delivery of stored messages (src/messaging/offline-delivery.ts) on a manual clock: when does a
// waiting message go out? On a new binding, but also when a device registers again on a binding it
// already had (an RFC 5626 flow replaced after a server restart: found by
// test/interop/server-restart.test.ts, where such a message waited for ever), and after the retry
// interval when it was stored while its recipient stayed registered.
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OfflineDelivery } from '../../src/messaging/offline-delivery.js';
import { OfflineStore } from '../../src/messaging/offline-store.js';
import type { LocationEvents } from '../../src/registrar/location-service.js';
import type { BindingChange } from '../../src/registrar/types.js';
import type { SipMessage } from '../../src/sip/message.js';
import { openStore } from '../../src/store/index.js';
import type { BindingRecord } from '../../src/store/types.js';
import { TimerHeap } from '../../src/transaction/timer-heap.js';

const BOB = 'sip:bob@example.com';

async function setUp(): Promise<{
  delivery: OfflineDelivery; offline: OfflineStore; timers: TimerHeap; sent: string[]; bindings: unknown[];
  change: (c: Omit<BindingChange, 'binding'>) => void; advance: (ms: number) => void;
}> {
  let now = 0;
  const timers = new TimerHeap({ now: () => now, autoRun: false });
  const store = await openStore({ kind: 'memory', dataDir: '' });
  const offline = await OfflineStore.load({ repository: store.offlineMessages, expirySeconds: 3600, maxPerUser: 10, timers });
  const bindings: unknown[] = [];
  const location = Object.assign(new EventEmitter<LocationEvents>(), { bindingsOf: () => bindings });
  const sent: string[] = [];
  const delivery = new OfflineDelivery({
    store: offline, location, timers, retrySeconds: 60, log: { warn: () => undefined } as never,
    send: async (request: SipMessage) => { sent.push(request.body.toString()); return 200; },
  });
  delivery.start();
  const change = (c: Omit<BindingChange, 'binding'>): void => {
    location.emit('change', { ...c, binding: { aor: BOB } as BindingRecord });
  };
  const advance = (ms: number): void => { now += ms; timers.runDue(); };
  return { delivery, offline, timers, sent, bindings, change, advance };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('a binding updated (an outbound flow registered again on a new connection) delivers what waits', async () => {
  const { offline, sent, bindings, change } = await setUp();
  bindings.push({});
  await offline.store(BOB, '<sip:dave@example.com>', 'text/plain', Buffer.from('stored while the flow was gone'));
  change({ type: 'updated', reason: 'replaced' });
  for (let i = 0; i < 5; i++) await settle();
  assert.deepEqual(sent, ['stored while the flow was gone']);
  assert.equal(offline.pending(BOB).length, 0);
});

test('a message stored while its recipient stays registered is tried again after the retry interval', async () => {
  const { delivery, offline, sent, bindings, advance } = await setUp();
  bindings.push({});
  await offline.store(BOB, '<sip:dave@example.com>', 'text/plain', Buffer.from('no answer from the device'));
  delivery.stored(BOB);
  advance(59_000);
  await settle();
  assert.deepEqual(sent, []);
  advance(1_000);
  for (let i = 0; i < 5; i++) await settle();
  assert.deepEqual(sent, ['no answer from the device']);
});

test('a message stored for a user with no binding waits for a registration (no retry timer)', async () => {
  const { delivery, offline, sent, advance, bindings, change } = await setUp();
  await offline.store(BOB, '<sip:dave@example.com>', 'text/plain', Buffer.from('offline'));
  delivery.stored(BOB);
  advance(120_000);
  await settle();
  assert.deepEqual(sent, []);
  bindings.push({});
  change({ type: 'added', reason: 'registered' });
  for (let i = 0; i < 5; i++) await settle();
  assert.deepEqual(sent, ['offline']);
});
