// A MESSAGE forwarded to a device that never answers (its network dropped, it was killed) must be
// stored and answered 202 before the sender's own Timer F runs out: the proxy's Timer F starts later
// than the sender's, so the proxy's 408 (and a 202 after it) always came too late and the sender was
// told "408, failed" for a message that was kept and delivered later (RFC 4320 2). Found by
// test/interop/dropped-link.test.ts with default timers. On a manual clock here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessagePolicy, type Refusal } from '../../src/messaging/message-policy.js';
import { OfflineStore } from '../../src/messaging/offline-store.js';
import { RateLimiter } from '../../src/messaging/rate-limit.js';
import type { Answer } from '../../src/proxy/response-context.js';
import { parseMessage } from '../../src/sip/parser.js';
import type { SipMessage } from '../../src/sip/message.js';
import { openStore, StoreError, type StoreHandle } from '../../src/store/index.js';
import { TimerHeap } from '../../src/transaction/timer-heap.js';
import { storedMessages } from '../helpers/stored-messages.js';

const BOB = 'sip:bob@example.com';
const STORE_AFTER_MS = 16_000;

function messageTo(body: string, type = 'text/plain'): SipMessage {
  const text = [
    `MESSAGE ${BOB} SIP/2.0`, 'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKdeadline', 'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a', `To: <${BOB}>`, 'Call-ID: deadline', 'CSeq: 1 MESSAGE',
    `Content-Type: ${type}`, `Content-Length: ${body.length}`, '', body,
  ].join('\r\n');
  const m = parseMessage(Buffer.from(text));
  if (!('kind' in m)) throw m;
  return m;
}

async function setUp(): Promise<{
  policy: MessagePolicy; offline: OfflineStore; advance: (ms: number) => Promise<void>; warnings: string[]; store: StoreHandle;
}> {
  let now = 0;
  const timers = new TimerHeap({ now: () => now, autoRun: false });
  const store = await openStore({ kind: 'memory', dataDir: '' });
  const offline = await OfflineStore.load({ repository: store.offlineMessages, expirySeconds: 3600, maxPerUser: 10, timers });
  const warnings: string[] = [];
  const logger = { debug() {}, info() {}, error() {}, warn: (_o: object, msg?: string) => { warnings.push(msg ?? ''); } };
  const policy = new MessagePolicy({
    maxBodyBytes: 1000, limiter: new RateLimiter({ perSecond: 0, burst: 1 }), offline, timers, storeAfterMs: STORE_AFTER_MS, logger,
  });
  const advance = async (ms: number): Promise<void> => {
    now += ms;
    timers.runDue();
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  return { policy, offline, advance, warnings, store };
}

function recorder(): { replies: Refusal[]; finals: Answer[]; upstream: { provisional: () => void; final: (a: Answer) => void } } {
  const replies: Refusal[] = [];
  const finals: Answer[] = [];
  return { replies, finals, upstream: { provisional: () => undefined, final: (a) => finals.push(a) } };
}

test('no final answer within 32*T1: stored and answered 202 before the sender gives up; the branch\'s late 408 changes nothing', async () => {
  const { policy, offline, advance } = await setUp();
  const r = recorder();
  const up = policy.storingUpstream(messageTo('are you there?'), BOB, r.upstream, (x) => r.replies.push(x));
  await advance(STORE_AFTER_MS - 1);
  assert.equal(r.replies.length, 0);
  await advance(1);
  assert.deepEqual(r.replies.map((x) => x.status), [202]);
  assert.deepEqual((await storedMessages(offline, BOB)).map((m) => m.body.toString()), ['are you there?']);
  up.final({ status: 408, reason: 'Request Timeout' });
  await advance(0);
  assert.deepEqual([r.replies.length, r.finals.length, offline.pending(BOB).length], [1, 0, 1]);
});

test('a late 2xx after the message was stored drops the stored copy (no second delivery)', async () => {
  const { policy, offline, advance } = await setUp();
  const r = recorder();
  const up = policy.storingUpstream(messageTo('slow device'), BOB, r.upstream, (x) => r.replies.push(x));
  await advance(STORE_AFTER_MS);
  assert.equal(offline.pending(BOB).length, 1);
  up.final({ status: 200, reason: 'OK' });
  await advance(0);
  assert.deepEqual([r.replies.length, r.finals.length, offline.pending(BOB).length], [1, 0, 0]);
});

test('a late 2xx whose stored copy cannot be deleted (a full disk): logged, and the server goes on', async () => {
  // The delete's rejection used to be left unhandled: Node ends the process on one.
  const { policy, offline, advance, warnings, store } = await setUp();
  const r = recorder();
  const up = policy.storingUpstream(messageTo('slow device, full disk'), BOB, r.upstream, (x) => r.replies.push(x));
  await advance(STORE_AFTER_MS);
  assert.equal(offline.pending(BOB).length, 1);
  store.offlineMessages.remove = () => Promise.reject(new StoreError('IO', 'store write failed: database or disk is full'));
  up.final({ status: 200, reason: 'OK' });
  await advance(0);
  assert.deepEqual(warnings, ['could not delete the stored copy of a message delivered after all']);
  assert.equal(offline.isHeld(offline.pending(BOB)[0].id), true, 'still held, never sent a second time');
});

test('an answer in time goes upstream as before, and the deadline never fires', async () => {
  const { policy, offline, advance } = await setUp();
  const r = recorder();
  const up = policy.storingUpstream(messageTo('quick'), BOB, r.upstream, (x) => r.replies.push(x));
  await advance(1000);
  up.final({ status: 200, reason: 'OK' });
  await advance(STORE_AFTER_MS * 2);
  assert.deepEqual([r.finals.map((a) => a.status), r.replies.length, offline.pending(BOB).length], [[200], 0, 0]);
});

test('typing indications are never stored, deadline or not', async () => {
  const { policy, offline, advance } = await setUp();
  const r = recorder();
  policy.storingUpstream(messageTo('<isComposing/>', 'application/im-iscomposing+xml'), BOB, r.upstream, (x) => r.replies.push(x));
  await advance(STORE_AFTER_MS * 2);
  assert.deepEqual([r.replies.length, offline.pending(BOB).length], [0, 0]);
});

// Found by test/interop/dropped-link.test.ts: a MESSAGE for a user whose only binding is an RFC 5626
// flow whose connection is gone got 430 Flow Failed back to the sender, and was lost.
test('every branch failed with 430 (the outbound flow is gone): stored, 202', async () => {
  const { policy, offline, advance } = await setUp();
  const r = recorder();
  const up = policy.storingUpstream(messageTo('flow gone'), BOB, r.upstream, (x) => r.replies.push(x));
  up.final({ status: 430, reason: 'Flow Failed' });
  await advance(0);
  assert.deepEqual([r.replies.map((x) => x.status), r.finals.length, offline.pending(BOB).length], [[202], 0, 1]);
});
