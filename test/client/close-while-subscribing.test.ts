// close() while the first SUBSCRIBE to a buddy waits for its answer: the answer is waited for, and
// a 2xx gives the dialog (RFC 3261 12.1.2) in which the un-SUBSCRIBE goes (Expires: 0, RFC 6665
// 4.1.2.3); a failure created no subscription, so nothing follows it. A NOTIFY that comes before
// the 200 (RFC 6665 4.1.2.4) gets its 200. close() used to send nothing: the notifier kept the
// subscription, and sent NOTIFYs to a client that was gone, until it expired.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserAgent } from '../../src/index.js';
import { createResponse } from '../../src/sip/builder.js';
import type { SipMessage } from '../../src/sip/message.js';
import type { ServerTransaction } from '../../src/transaction/server-transaction.js';
import { hostPort, newUa } from './helpers.js';
import { ScriptedPeer, until } from './scripted-peer.js';

let peer: ScriptedPeer;
let ua: UserAgent;
/** The request held back, and its transaction for the test to answer. */
let held: { tx: ServerTransaction; request: SipMessage } | undefined;
const heldBack = (): { tx: ServerTransaction; request: SipMessage } => held as NonNullable<typeof held>;
beforeEach(async () => {
  peer = await ScriptedPeer.start();
  held = undefined;
  // The first SUBSCRIBE is held here and answered by the test; everything else gets a 200.
  peer.script = (r) => (r.method === 'SUBSCRIBE' && r.to().tag === undefined ? 'drop' : { status: 200 });
  peer.layer.on('request', (tx, r) => { if (r.method === 'SUBSCRIBE' && r.to().tag === undefined) held = { tx, request: r }; });
  ua = newUa(peer.uri(), { closeTimeoutMs: 2000 });
  await ua.subscribe('bob');
  await until(() => held !== undefined, 2000, 'the SUBSCRIBE');
});
afterEach(async () => {
  await ua.close();
  await peer.stop();
});

test('a 200 that comes after close() began: the un-SUBSCRIBE goes in the dialog it made', async () => {
  const proxy = `<sip:127.0.0.1:${peer.ports.get('udp') as number};lr>`;
  const target = `sip:bob@127.0.0.1:${peer.ports.get('udp') as number}`;
  const { tx, request: subscribe } = heldBack();
  const closed = ua.close();
  tx.respond(createResponse(subscribe, 200, undefined, {
    toTag: 'srv1', headers: [['Expires', '600'], ['Contact', `<${target}>`], ['Record-Route', proxy]],
  }));
  await closed;
  const unsubscribe = peer.of('SUBSCRIBE').at(-1);
  assert.notEqual(unsubscribe, subscribe, 'an un-SUBSCRIBE was sent');
  assert.equal(unsubscribe?.expires(), 0);
  assert.equal(unsubscribe?.callId(), subscribe.callId());
  assert.equal(unsubscribe?.from().tag, subscribe.from().tag);
  assert.equal(unsubscribe?.to().tag, 'srv1');
  assert.equal(unsubscribe?.requestUri, target, 'to the remote target');
  assert.deepEqual(unsubscribe?.headerValues('route'), [proxy], 'through the route set');
  assert.ok((unsubscribe?.cseq().seq as number) > subscribe.cseq().seq);
});

test('a failure that comes after close() began: nothing follows it', async () => {
  const closed = ua.close();
  heldBack().tx.respond(createResponse(heldBack().request, 403));
  await closed;
  assert.equal(peer.of('SUBSCRIBE').length, 1);
});

test('a NOTIFY before the 200, both after close() began: the NOTIFY gets 200 and the un-SUBSCRIBE its dialog', async () => {
  const notifier = `sip:bob@127.0.0.1:${peer.ports.get('udp') as number};notifier`;
  const { tx, request: subscribe } = heldBack();
  const closed = ua.close();
  const notify = await peer.send(hostPort(ua.contact as string), {
    method: 'NOTIFY', uri: ua.contact as string, from: '<sip:bob@example.com>;tag=srv2', to: `<sip:alice@example.com>;tag=${subscribe.from().tag as string}`,
    callId: subscribe.callId(), cseq: 1,
    headers: [['Event', 'presence'], ['Subscription-State', 'active;expires=600'], ['Contact', `<${notifier}>`]],
  });
  assert.equal(notify.status, 200, 'RFC 6665 4.1.2.4: not 481');
  tx.respond(createResponse(subscribe, 200, undefined, { toTag: 'srv2', headers: [['Expires', '600']] }));
  await closed;
  const unsubscribe = peer.of('SUBSCRIBE').at(-1);
  assert.equal(unsubscribe?.expires(), 0);
  assert.equal(unsubscribe?.to().tag, 'srv2');
  assert.equal(unsubscribe?.requestUri, notifier);
});
