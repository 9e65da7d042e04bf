// The watcher answers 423 Interval Too Brief by subscribing again with the Min-Expires the notifier
// asks for (RFC 6665 4.2.1.1, RFC 3261 10.2.8), as the publisher does for PUBLISH; it used to give
// up and report the subscription terminated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PresenceEvent, UserAgent } from '../../src/index.js';
import { scriptedPeerFixture } from './helpers.js';
import { until } from './scripted-peer.js';

const fixture = scriptedPeerFixture({ ua: { presenceExpires: 60 }, register: true });

test('SUBSCRIBE answered 423 with Min-Expires 3600 is sent again with Expires 3600 and succeeds', async () => {
  const { peer, ua } = fixture;
  const events: PresenceEvent[] = [];
  ua.on('presence', (e) => events.push(e));
  peer.script = (r) => {
    if (r.method !== 'SUBSCRIBE') return { status: 200 };
    if ((r.expires() ?? 0) < 3600) return { status: 423, headers: [['Min-Expires', '3600']] };
    return { status: 200, headers: [['Expires', '3600'], ['Contact', '<sip:bob@127.0.0.1>']] };
  };
  await ua.subscribe('bob');
  await until(() => peer.of('SUBSCRIBE').length >= 2, 2000, 'a second SUBSCRIBE');
  const [first, second] = peer.of('SUBSCRIBE');
  assert.equal(first.expires(), 60);
  assert.equal(second.expires(), 3600);
  assert.equal(second.callId(), first.callId(), 'the same subscription asks again');
  assert.ok(second.cseq().seq > first.cseq().seq);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(peer.of('SUBSCRIBE').length, 2);
  assert.ok(!events.some((e) => e.subscription === 'terminated'), 'nothing reported the subscription ended');
});
