// A refresh answered 481 (the notifier restarted or gave up on a Contact of ours that was gone):
// RFC 6665 4.1.2.2 says the subscription is over and a new one, in a new dialog, is how to get the
// state again. The client used to wait a whole backoff (15-30 s by default) and meanwhile still
// showed the buddy's last state; it now subscribes anew at once, and says the state is unknown
// until a NOTIFY of the new subscription tells it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PresenceEvent } from '../../src/index.js';
import { scriptedPeerFixture } from './helpers.js';
import { until } from './scripted-peer.js';

const OPEN = `<?xml version="1.0"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@example.com">
  <tuple id="pc"><status><basic>open</basic></status></tuple>
</presence>`;

// The default backoff (30 s base): only a new SUBSCRIBE sent at once passes.
const fixture = scriptedPeerFixture({ ua: { presenceExpires: 1 }, register: true });

test('a refresh answered 481: the buddy is shown unknown and a new subscription is made at once', async () => {
  const { peer, ua } = fixture;
  const events: PresenceEvent[] = [];
  ua.on('presence', (e) => events.push(e));
  peer.script = (r) => {
    if (r.method !== 'SUBSCRIBE') return { status: 200 };
    // The refresh (in the dialog, a To tag) finds no subscription.
    if (r.to().tag !== undefined) return { status: 481 };
    return { status: 200, headers: [['Expires', '1'], ['Contact', '<sip:bob@127.0.0.1>']] };
  };
  await ua.subscribe('bob');
  await until(() => peer.of('SUBSCRIBE').length >= 1, 2000, 'SUBSCRIBE');
  const first = peer.of('SUBSCRIBE')[0];
  const contact = ua.contact as string;
  const at = /@([^:;>]+):(\d+)/.exec(contact) as RegExpExecArray;
  const notify = await peer.send({ address: at[1], port: Number(at[2]) }, {
    method: 'NOTIFY', uri: contact, from: '<sip:bob@example.com>;tag=n1', to: `<sip:alice@example.com>;tag=${first.from().tag as string}`,
    callId: first.callId(), cseq: 1, headers: [['Event', 'presence'], ['Subscription-State', 'active;expires=1'], ['Contact', '<sip:bob@127.0.0.1>']],
    body: OPEN, contentType: 'application/pidf+xml',
  });
  assert.equal(notify.status, 200);
  assert.equal(events.at(-1)?.basic, 'open');

  // The refresh (before the 1 s expiry) gets 481; a new SUBSCRIBE follows at once.
  await until(() => peer.of('SUBSCRIBE').length >= 3, 3000, 'the refresh and a new SUBSCRIBE');
  const [, refresh, anew] = peer.of('SUBSCRIBE');
  assert.equal(refresh.callId(), first.callId());
  assert.ok(refresh.to().tag !== undefined);
  assert.notEqual(anew.callId(), first.callId(), 'a new dialog');
  assert.equal(anew.to().tag, undefined);
  const ended = events.find((e) => e.subscription === 'terminated') as PresenceEvent;
  assert.equal(ended.reason, '481 Call/Transaction Does Not Exist');
  assert.equal(ended.basic, 'unknown', 'no subscription, no state');
  assert.deepEqual((await ua.buddies()).map((b) => b.basic), ['unknown']);
});
