// A stored message its recipient refuses (src/messaging/offline-delivery.ts): RFC 3261 8.1.3.5 and
// 21.4 forbid repeating a refused request unchanged, so a final answer other than 2xx and the "try
// later" ones (408, 430, 480, 503: README "MESSAGE and the offline store") drops that message, and
// the ones behind it still go. Found by the audit: a 415 for one message blocked the user's mailbox
// for ever, the refused message going out first on every registration and retry.
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

const BOB = 'sip:bob@example.com';
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A registered bob whose device answers each body with `answer(body)`. */
async function setUp(answer: (body: string) => number): Promise<{
  offline: OfflineStore; sent: string[]; refused: Array<[number, number]>; register: () => void; advance: (ms: number) => void;
}> {
  let now = 0;
  const timers = new TimerHeap({ now: () => now, autoRun: false });
  const store = await openStore({ kind: 'memory', dataDir: '' });
  const offline = await OfflineStore.load({ repository: store.offlineMessages, expirySeconds: 3600, maxPerUser: 10, timers });
  const location = Object.assign(new EventEmitter<LocationEvents>(), { bindingsOf: () => [{}] });
  const sent: string[] = [];
  const refused: Array<[number, number]> = [];
  const delivery = new OfflineDelivery({
    store: offline, location, timers, retrySeconds: 60, log: { warn: () => undefined } as never,
    send: async (request: SipMessage) => {
      const body = request.body.toString();
      sent.push(body);
      return answer(body);
    },
    onRefused: (m, status) => refused.push([m.id, status]),
  });
  delivery.start();
  const register = (): void => {
    location.emit('change', { type: 'updated', reason: 'refreshed', binding: { aor: BOB } as BindingRecord });
  };
  return { offline, sent, refused, register, advance: (ms) => { now += ms; timers.runDue(); } };
}

async function storeThree(offline: OfflineStore): Promise<void> {
  await offline.store(BOB, '<sip:dave@example.com>', 'application/x-weird', Buffer.from('weird'));
  await offline.store(BOB, '<sip:dave@example.com>', 'text/plain', Buffer.from('normal text'));
  await offline.store(BOB, '<sip:dave@example.com>', 'text/plain', Buffer.from('more text'));
}

for (const status of [415, 488, 500, 603]) {
  test(`a stored message refused with ${status} is dropped once and the next ones are delivered`, async () => {
    const { offline, sent, refused, register } = await setUp((body) => (body === 'weird' ? status : 200));
    await storeThree(offline);
    register();
    await settle();
    assert.deepEqual(sent, ['weird', 'normal text', 'more text']);
    assert.deepEqual(refused, [[1, status]]);
    assert.equal(offline.pending(BOB).length, 0);
    // The next registration sends nothing again: the refused request is not repeated.
    register();
    await settle();
    assert.deepEqual(sent, ['weird', 'normal text', 'more text']);
  });
}

// 404: the device at the binding's address is not this user's (a stale binding), not a refusal of the message.
for (const status of [404, 408, 430, 480, 503]) {
  test(`a stored message answered ${status} (try later) stays, in order, for the next attempt`, async () => {
    let away = true;
    const { offline, sent, refused, register, advance } = await setUp(() => (away ? status : 200));
    await storeThree(offline);
    register();
    await settle();
    assert.deepEqual(sent, ['weird']);
    // Tried again after the retry interval, still first, and kept on a try-later answer.
    advance(60_000);
    await settle();
    assert.deepEqual(sent, ['weird', 'weird']);
    assert.equal(offline.pending(BOB).length, 3);
    away = false;
    advance(60_000);
    await settle();
    assert.deepEqual(refused, []);
    assert.equal(offline.pending(BOB).length, 0);
    assert.deepEqual(sent.slice(-3), ['weird', 'normal text', 'more text']);
  });
}
