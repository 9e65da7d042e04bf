// A target refresh answered 200 but followed by no NOTIFY: the notifier had already given up on the
// subscription (a restarted server that waited for our flow sent its NOTIFY to the old Contact as
// soon as we registered the new one, and ended the subscription when that failed, while our
// refresh was on its way). RFC 6665 4.2.2: a successful refresh is followed by a NOTIFY at once;
// none within 64*T1 means the subscription is gone: the buddy is shown unknown and a new
// subscription is made, instead of the old state being shown for good.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PresenceEvent } from '../../src/index.js';
import { newUa } from './helpers.js';
import { ScriptedPeer, until } from './scripted-peer.js';

const OPEN = `<?xml version="1.0"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@example.com">
  <tuple id="pc"><status><basic>open</basic></status></tuple>
</presence>`;

test('a target refresh after a new Contact that brings no NOTIFY: unknown, and a new subscription', async (t) => {
  const peer = await ScriptedPeer.start('127.0.0.1', ['tcp']);
  t.after(() => peer.stop());
  peer.script = (r) => {
    if (r.method === 'REGISTER') return { status: 200, headers: [['Contact', `${r.header('contact') as string};expires=600`], ['Require', 'outbound']] };
    if (r.method === 'SUBSCRIBE') return { status: 200, headers: [['Expires', '600'], ['Contact', '<sip:bob@127.0.0.1>']] };
    return { status: 200 };
  };
  const ua = newUa(peer.uri('tcp'), { password: undefined, backoff: { baseMs: 20, maxMs: 100 } });
  t.after(() => ua.close());
  const events: PresenceEvent[] = [];
  ua.on('presence', (e) => events.push(e));
  await ua.register();
  await ua.subscribe('bob');
  await until(() => peer.of('SUBSCRIBE').length >= 1, 2000, 'SUBSCRIBE');
  const first = peer.of('SUBSCRIBE')[0];
  const source = peer.sources[peer.requests.indexOf(first)];
  const notify = await peer.send({ protocol: 'tcp', address: source.remote.address, port: source.remote.port }, {
    method: 'NOTIFY', uri: ua.contact as string, from: '<sip:bob@example.com>;tag=n1', to: `<sip:alice@example.com>;tag=${first.from().tag as string}`,
    callId: first.callId(), cseq: 1, headers: [['Event', 'presence'], ['Subscription-State', 'active;expires=600'], ['Contact', '<sip:bob@127.0.0.1>']],
    body: OPEN, contentType: 'application/pidf+xml',
  });
  assert.equal(notify.status, 200);
  assert.equal(events.at(-1)?.basic, 'open');

  // The connection drops; the UA registers a new Contact and refreshes the target: 200, no NOTIFY.
  const contacts: string[] = [];
  ua.on('registered', (e) => contacts.push(e.contact));
  peer.transport.closeConnection(source.connectionId as string);
  await until(() => contacts.length >= 1, 3000, 'registered again');
  await until(() => peer.of('SUBSCRIBE').length >= 2, 2000, 'the target refresh');
  const refresh = peer.of('SUBSCRIBE')[1];
  assert.equal(refresh.callId(), first.callId());
  assert.match(refresh.header('contact') as string, new RegExp(contacts[0].replace(/[.;]/g, '\\$&')));

  // 64*T1 (640 ms with the test timers) later: unknown, and a new subscription in a new dialog.
  await until(() => peer.of('SUBSCRIBE').length >= 3, 3000, 'a new SUBSCRIBE');
  const anew = peer.of('SUBSCRIBE')[2];
  assert.notEqual(anew.callId(), first.callId());
  assert.equal(anew.to().tag, undefined);
  const ended = events.find((e) => e.subscription === 'terminated') as PresenceEvent;
  assert.equal(ended.basic, 'unknown');
  assert.equal(ended.reason, 'no NOTIFY after the target refresh');
});
