// After an un-SUBSCRIBE the watcher waits 64*T1 for the notifier's final NOTIFY (RFC 6665 4.1.2.3)
// and answers it 200; past that wait the subscription is forgotten, and a NOTIFY for it gets 481
// (4.1.3). The wait was cancelled as soon as it was set, so a notifier that never sent the final
// NOTIFY left every ended subscription in the client's memory for good.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAST_TIMERS, hostPort, scriptedPeerFixture } from './helpers.js';
import { until } from './scripted-peer.js';

const fixture = scriptedPeerFixture({ ua: { presenceExpires: 600 }, register: true });

test('an ended subscription whose final NOTIFY never comes is forgotten after 64*T1', async () => {
  const { peer, ua } = fixture;
  peer.script = (r) => (r.method === 'SUBSCRIBE'
    ? { status: 200, headers: [['Expires', r.expires() === 0 ? '0' : '600'], ['Contact', `<sip:bob@127.0.0.1:${peer.ports.get('udp')}>`]] }
    : { status: 200 });
  await ua.subscribe('bob');
  await until(() => peer.of('SUBSCRIBE').length === 1, 2000, 'SUBSCRIBE');
  const sub = peer.of('SUBSCRIBE')[0];
  await ua.unsubscribe('bob');
  await until(() => peer.of('SUBSCRIBE').length === 2, 2000, 'un-SUBSCRIBE');
  const notify = (cseq: number) => peer.send(hostPort(ua.contact as string), {
    method: 'NOTIFY', uri: ua.contact as string, from: '<sip:bob@example.com>;tag=n1', to: `<sip:alice@example.com>;tag=${sub.from().tag as string}`,
    callId: sub.callId(), cseq,
    headers: [['Event', 'presence'], ['Subscription-State', 'active;expires=60'], ['Contact', `<sip:bob@127.0.0.1:${peer.ports.get('udp')}>`]],
  });
  assert.equal((await notify(1)).status, 200, 'within the wait: still ours');
  await new Promise((resolve) => setTimeout(resolve, 64 * FAST_TIMERS.t1 + 200));
  assert.equal((await notify(2)).status, 481, 'after it: forgotten');
});
