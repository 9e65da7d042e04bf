// A stored MESSAGE is delivered with the headers that describe its body, not only Content-Type:
// Content-Encoding (RFC 3261 20.12: without it a gzip body is garbage to the device),
// Content-Language (20.13), Content-Disposition (20.11), and its Subject (20.36), across a restart
// (sqlite). README "MESSAGE and the offline store": bodies pass through untouched, stored or not.
import { gzipSync, gunzipSync } from 'node:zlib';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessagePolicy } from '../../src/messaging/message-policy.js';
import { deliveryRequest } from '../../src/messaging/offline-delivery.js';
import { OfflineStore } from '../../src/messaging/offline-store.js';
import { RateLimiter } from '../../src/messaging/rate-limit.js';
import { parseMessage } from '../../src/sip/parser.js';
import { serialize } from '../../src/sip/serializer.js';
import { openStore } from '../../src/store/index.js';
import { TimerHeap } from '../../src/transaction/timer-heap.js';
import { storedMessages } from '../helpers/stored-messages.js';
import { tempDir } from '../store/helpers.js';

const BOB = 'sip:bob@example.com';

function gzipMessage(body: Buffer): Buffer {
  const head = [
    `MESSAGE ${BOB} SIP/2.0`, 'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKgz', 'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=a', `To: <${BOB}>`, 'Call-ID: gz', 'CSeq: 1 MESSAGE',
    'Content-Type: text/plain;charset=utf-8', 'e: gzip', 'Content-Language: de',
    'Content-Disposition: render;handling=required', 's: Gruss', `Content-Length: ${body.length}`, '', '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head), body]);
}

test('a stored MESSAGE is delivered after a restart with its Content-Encoding, Content-Language, Content-Disposition and Subject', async (t) => {
  const { dir, cleanup } = tempDir('offline-headers-');
  t.after(cleanup);
  const timers = new TimerHeap({ now: () => 0, autoRun: false });
  const body = gzipSync('Grüße aus Köln');
  const request = parseMessage(gzipMessage(body));
  if (!('kind' in request)) throw request;

  const first = await openStore({ kind: 'sqlite', dataDir: dir });
  const offline = await OfflineStore.load({ repository: first.offlineMessages, expirySeconds: 3600, maxPerUser: 10, timers });
  const policy = new MessagePolicy({ maxBodyBytes: 1000, limiter: new RateLimiter({ perSecond: 0, burst: 1 }), offline, timers, storeAfterMs: 1000 });
  assert.equal((await policy.store(request, BOB)).status, 202);
  offline.close();
  await first.close();

  const second = await openStore({ kind: 'sqlite', dataDir: dir });
  t.after(() => second.close());
  const reloaded = await OfflineStore.load({ repository: second.offlineMessages, expirySeconds: 3600, maxPerUser: 10, timers });
  t.after(() => reloaded.close());
  const [stored] = await storedMessages(reloaded, BOB);
  const delivered = parseMessage(serialize(deliveryRequest(stored)));
  if (!('kind' in delivered)) throw delivered;
  assert.equal(delivered.header('content-type'), 'text/plain;charset=utf-8');
  assert.equal(delivered.header('content-encoding'), 'gzip');
  assert.equal(delivered.header('content-language'), 'de');
  assert.equal(delivered.header('content-disposition'), 'render;handling=required');
  assert.equal(delivered.header('subject'), 'Gruss');
  assert.equal(gunzipSync(delivered.body).toString(), 'Grüße aus Köln');
});
