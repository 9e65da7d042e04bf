// A presentity whose only device is an RFC 5626 outbound flow over TCP: when the connection closes
// (the server closed it after --idle-timeout of silence, the client's network dropped, a crash), the
// binding stays registered (RFC 5626 5.3) but nobody is there: watchers see closed at once, not when
// the binding expires. Found by test/interop/dropped-link.test.ts (a vanished simplesip client over
// TCP stayed "open" for its whole registration). When the UA registers the flow again, open again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { firstTuple, pidf, PresencePeer } from './presence-peer.js';

const INSTANCE = '"<urn:uuid:00000000-0000-4000-8000-0000000000b0>"';

async function registerFlow(bob: PresencePeer, path?: string): Promise<number> {
  const r = await bob.request([
    'REGISTER sip:127.0.0.1 SIP/2.0', `Via: SIP/2.0/TCP ${bob.sip.sentBy};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
    'Max-Forwards: 70', `From: <${bob.aor}>;tag=ob1`, `To: <${bob.aor}>`, `Call-ID: ob-${Math.random()}`, 'CSeq: 1 REGISTER',
    `Contact: <sip:bob@${bob.sip.sentBy};transport=tcp;ob>;+sip.instance=${INSTANCE};reg-id=1`, 'Supported: outbound', 'Expires: 300',
    ...(path === undefined ? [] : [`Path: ${path}`]),
  ]);
  return r.status;
}

test('an outbound flow whose connection closed shows its presentity closed while the binding stays; registered again: open', async () => {
  const srv = await startServer({ listen: ['tcp:127.0.0.1:0', 'udp:127.0.0.1:0'], auth: false, probeIntervalSeconds: 0 });
  const alice = await PresencePeer.open('udp', '127.0.0.1', srv.port('udp'), 'alice');
  let bob = await PresencePeer.open('tcp', '127.0.0.1', srv.port('tcp'), 'bob');
  try {
    assert.equal(await registerFlow(bob), 200);
    assert.deepEqual(srv.server.location.lookup(bob.aor)[0].flags.includes('outbound'), true);
    assert.equal((await bob.publish({ body: pidf(bob.aor, 'open', { note: 'here' }), expires: 600 })).status, 200);
    const { response } = await alice.subscribe(bob.aor);
    assert.equal(response.status, 200);
    assert.equal(firstTuple(await alice.notifyUntil((n) => firstTuple(n).basic === 'open')).basic, 'open');

    const closedAt = Date.now();
    bob.close();
    const n = await alice.notifyUntil((x) => firstTuple(x).basic === 'closed', 3000);
    assert.equal(firstTuple(n).basic, 'closed');
    assert.ok(Date.now() - closedAt < 3000);
    assert.equal(srv.server.location.lookup(bob.aor).length, 1, 'the outbound binding stays registered (RFC 5626 5.3)');

    bob = await PresencePeer.open('tcp', '127.0.0.1', srv.port('tcp'), 'bob');
    assert.equal(await registerFlow(bob), 200);
    assert.equal(firstTuple(await alice.notifyUntil((x) => firstTuple(x).basic === 'open', 3000)).basic, 'open');
  } finally {
    alice.close();
    bob.close();
    await srv.stop();
  }
});

test('a flow kept by an edge proxy (Path with ;ob) does not close with the edge\'s connection to us (RFC 3327, RFC 5626 5.3)', async () => {
  const srv = await startServer({ listen: ['tcp:127.0.0.1:0', 'udp:127.0.0.1:0'], auth: false, probeIntervalSeconds: 0 });
  // `edge` stands for the proxy: it adds Path and carries bob's REGISTER and PUBLISH over its connection.
  const edge = await PresencePeer.open('tcp', '127.0.0.1', srv.port('tcp'), 'bob');
  try {
    assert.equal(await registerFlow(edge, '<sip:127.0.0.1:5999;transport=tcp;lr;ob>'), 200);
    assert.equal((await edge.publish({ body: pidf(edge.aor, 'open', { note: 'behind the edge' }), expires: 600 })).status, 200);
    const presence = srv.server.controlContext().presence;
    assert.equal(presence?.show(edge.aor).basic, 'open');
    edge.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(srv.server.location.lookup(edge.aor).length, 1);
    assert.equal(presence?.show(edge.aor).basic, 'open', 'bob is still reachable through the edge');
  } finally {
    edge.close();
    await srv.stop();
  }
});
