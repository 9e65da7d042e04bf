// The offline store with sqlite keeps stored bodies on disk: memory holds a summary of each message
// (id, AOR, expiry), and the body is read from the store when the message is delivered or listed.
// Found by a storage audit: 3000 MESSAGEs of 32 KB from strangers (who are not challenged) took the
// server from 75 to 233 MB of RSS, and a start with 200 000 stored messages read every body (526 MB).
// README "MESSAGE and the offline store"; RFC 3428 7 leaves how a proxy keeps stored messages to it.
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { OfflineDelivery } from '../../src/messaging/offline-delivery.js';
import { OfflineStore } from '../../src/messaging/offline-store.js';
import type { LocationEvents } from '../../src/registrar/location-service.js';
import type { SipMessage } from '../../src/sip/message.js';
import { openStore, StoreError } from '../../src/store/index.js';
import type { BindingRecord, StoreHandle } from '../../src/store/types.js';
import { TimerHeap } from '../../src/transaction/timer-heap.js';
import { storedMessages } from '../helpers/stored-messages.js';
import { tempDir } from '../store/helpers.js';

const BOB = 'sip:bob@example.com';
const COUNT = 300;
const BODY_BYTES = 32_000;
const timers = new TimerHeap({ now: () => 0, autoRun: false });

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * JS heap and Buffer memory: where a body the server kept would sit. The second collection waits for
 * the first one's release of dead Buffers' memory (V8 sweeps it concurrently).
 */
async function memory(): Promise<number> {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

function load(store: StoreHandle): Promise<OfflineStore> {
  return OfflineStore.load({ repository: store.offlineMessages, expirySeconds: 3600, maxPerUser: COUNT, timers });
}

/** Stores COUNT fresh bodies of BODY_BYTES (the caller keeps none of them); returns their hashes in order. */
async function storeBodies(offline: OfflineStore): Promise<string[]> {
  const hashes: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    const body = randomBytes(BODY_BYTES);
    hashes.push(sha1(body));
    assert.equal((await offline.store(BOB, '<sip:mallory@evil.example>', 'application/octet-stream', body)).stored, true);
  }
  return hashes;
}

test('sqlite: 300 stored bodies of 32 KB stay on disk (under 1 MB of memory for all), and are listed whole, in order', async (t) => {
  const { dir, cleanup } = tempDir('offline-store-mem-');
  t.after(cleanup);
  const store = await openStore({ kind: 'sqlite', dataDir: dir });
  t.after(() => store.close());
  const offline = await load(store);
  t.after(() => offline.close());

  const before = await memory();
  const hashes = await storeBodies(offline);
  const grown = (await memory()) - before;
  assert.ok(grown < 1_000_000, `storing ${COUNT} x ${BODY_BYTES} bytes kept ${(grown / 1e6).toFixed(1)} MB in memory`);

  assert.equal(offline.count, COUNT);
  const listed = await storedMessages(offline, BOB);
  assert.deepEqual(listed.map((m) => sha1(m.body)), hashes);
  assert.equal(listed[0].from, '<sip:mallory@evil.example>');
  assert.equal(listed[0].contentType, 'application/octet-stream');
});

test('sqlite: a start reads no bodies (300 of 32 KB load in under 1 MB), and each is read from disk when it is delivered', async (t) => {
  const { dir, cleanup } = tempDir('offline-store-restart-');
  t.after(cleanup);
  const first = await openStore({ kind: 'sqlite', dataDir: dir });
  const firstOffline = await load(first);
  const hashes = await storeBodies(firstOffline);
  firstOffline.close();
  await first.close();

  const store = await openStore({ kind: 'sqlite', dataDir: dir });
  t.after(() => store.close());
  const before = await memory();
  const offline = await load(store);
  t.after(() => offline.close());
  const grown = (await memory()) - before;
  assert.ok(grown < 1_000_000, `loading ${COUNT} stored messages of ${BODY_BYTES} bytes took ${(grown / 1e6).toFixed(1)} MB of memory`);
  assert.equal(offline.pending(BOB).length, COUNT);

  // bob registers: every message goes out whole, oldest first, and is removed after its 200.
  const delivered: string[] = [];
  const location = Object.assign(new EventEmitter<LocationEvents>(), { bindingsOf: () => [{}] });
  let done: () => void = () => undefined;
  const allDelivered = new Promise<void>((resolve) => { done = resolve; });
  const delivery = new OfflineDelivery({
    store: offline, location, timers, retrySeconds: 60, log: { warn: () => undefined } as never,
    send: async (request: SipMessage) => {
      delivered.push(sha1(request.body));
      return 200;
    },
    onDelivered: () => { if (delivered.length === COUNT) done(); },
  });
  t.after(() => delivery.close());
  delivery.start();
  location.emit('change', { type: 'added', reason: 'registered', binding: { aor: BOB } as BindingRecord });
  await allDelivered;
  assert.deepEqual(delivered, hashes);
  assert.equal(offline.pending(BOB).length, 0);
  assert.deepEqual(await store.offlineMessages.all(), []);
});

test('--offline-max-bytes: beyond it a message for anyone is refused (store-full); a removed or expired one makes room; a restart knows the total', async (t) => {
  const { dir, cleanup } = tempDir('offline-store-cap-');
  t.after(cleanup);
  const clock = { now: 0 };
  const manual = new TimerHeap({ now: () => clock.now, autoRun: false });
  const sender = '<sip:mallory@evil.example>';
  const body = (): Buffer => Buffer.alloc(1000, 'x');
  const size = 1000 + sender.length + 'text/plain'.length;
  const open = async (): Promise<{ store: StoreHandle; offline: OfflineStore }> => {
    const store = await openStore({ kind: 'sqlite', dataDir: dir });
    const offline = await OfflineStore.load({ repository: store.offlineMessages, expirySeconds: 3600, maxPerUser: 10, maxBytes: 3 * size, timers: manual, now: () => clock.now });
    return { store, offline };
  };
  const put = async (offline: OfflineStore, aor: string): Promise<string> => {
    const outcome = await offline.store(aor, sender, 'text/plain', body());
    return outcome.stored ? 'stored' : outcome.reason;
  };

  const first = await open();
  assert.deepEqual([await put(first.offline, BOB), await put(first.offline, 'sip:carol@example.com')], ['stored', 'stored']);
  clock.now = 1000;
  assert.equal(await put(first.offline, 'sip:dave@example.com'), 'stored');
  // Three of them fill the store, whoever the next one is for (each mailbox has room for 10).
  assert.equal(await put(first.offline, 'sip:erin@example.com'), 'store-full');
  assert.equal(await put(first.offline, BOB), 'store-full');
  assert.equal(await first.offline.remove(first.offline.pending(BOB)[0].id), true);
  assert.equal(await put(first.offline, 'sip:erin@example.com'), 'stored');
  first.offline.close();
  await first.store.close();

  // The total comes back with the summaries (no body read): still full after a restart.
  const second = await open();
  t.after(async () => { second.offline.close(); await second.store.close(); });
  assert.equal(await put(second.offline, BOB), 'store-full');
  // carol's message (stored at 0) is past its hour, the sweep has not run: it makes room at once.
  clock.now = 3600 * 1000;
  assert.equal(await put(second.offline, BOB), 'stored');
  assert.deepEqual(second.offline.list().map((m) => m.aor), ['sip:dave@example.com', 'sip:erin@example.com', BOB]);
  assert.equal(await put(second.offline, BOB), 'store-full');
});

// A store that refuses a delete (a full disk): `ctl msg rm` fails, and the message still waits (it is
// still in the store, and a restart would bring it back).
test('a message whose delete the store refuses still waits: listed, counted, in the store', async () => {
  const store = await openStore({ kind: 'memory' });
  const repository = store.offlineMessages;
  const offline = await OfflineStore.load({ repository, expirySeconds: 3600, maxPerUser: 10, timers: new TimerHeap({ autoRun: false }) });
  const stored = await offline.store(BOB, '<sip:alice@example.com>', 'text/plain', Buffer.from('still here'));
  assert.ok(stored.stored);
  repository.remove = () => Promise.reject(new StoreError('IO', 'store write failed: database or disk is full'));
  await assert.rejects(offline.remove(stored.message.id), StoreError);
  assert.deepEqual((await storedMessages(offline, BOB)).map((m) => m.body.toString()), ['still here']);
  assert.deepEqual((await repository.all()).map((m) => m.id), [stored.message.id]);
  assert.equal(offline.count, 1);
});
