// A NOTIFY that arrives before the 200 to the SUBSCRIBE establishes the dialog (RFC 6665 4.1.2.4),
// route set included: the subscriber takes it from the NOTIFY's Record-Route in order, as a UAS does
// (RFC 3261 12.1.1). The refresh then goes through those proxies; it used to go without any Route.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponse } from '../../src/sip/builder.js';
import type { ServerTransaction } from '../../src/transaction/server-transaction.js';
import { hostPort, scriptedPeerFixture } from './helpers.js';
import { until } from './scripted-peer.js';

const fixture = scriptedPeerFixture({ ua: { presenceExpires: 600 }, register: true });

test('the refresh after a NOTIFY-first dialog carries the NOTIFY\'s Record-Route as Route, in order', async () => {
  const { peer, ua } = fixture;
  const proxies = [`<sip:127.0.0.1:${peer.ports.get('udp')};lr;proxy=one>`, `<sip:127.0.0.1:${peer.ports.get('udp')};lr;proxy=two>`];
  let held: ServerTransaction | undefined;
  peer.script = (r) => (r.method === 'SUBSCRIBE' && r.to().tag === undefined ? 'drop' : { status: 200, headers: [['Expires', '600']] });
  peer.layer.on('request', (tx, r) => { if (r.method === 'SUBSCRIBE' && r.to().tag === undefined) held = tx; });
  await ua.subscribe('bob');
  await until(() => held !== undefined, 2000, 'SUBSCRIBE');
  const sub = held?.request ?? peer.of('SUBSCRIBE')[0];
  const notify = await peer.send(hostPort(ua.contact as string), {
    method: 'NOTIFY', uri: ua.contact as string, from: '<sip:bob@example.com>;tag=srv1', to: `<sip:alice@example.com>;tag=${sub.from().tag as string}`,
    callId: sub.callId(), cseq: 1,
    headers: [...proxies.map((p): [string, string] => ['Record-Route', p]), ['Event', 'presence'],
      ['Subscription-State', 'active;expires=1'], ['Contact', `<sip:bob@127.0.0.1:${peer.ports.get('udp')}>`]],
  });
  assert.equal(notify.status, 200);
  // The 200 comes late; its Record-Route lists the same proxies from the notifier's end (RFC 3261 12.1.2).
  const rr = [...proxies].reverse().map((p): [string, string] => ['Record-Route', p]);
  held?.respond(createResponse(sub, 200, undefined, { toTag: 'srv1', headers: [...rr, ['Expires', '1']] }));
  await until(() => peer.of('SUBSCRIBE').some((r) => r.to().tag === 'srv1'), 3000, 'the refresh');
  const refresh = peer.of('SUBSCRIBE').find((r) => r.to().tag === 'srv1');
  assert.deepEqual(refresh?.rawValues('route').flatMap((v) => v.split(/,(?=\s*<)/).map((x) => x.trim())), proxies);
});
