// A PUBLISH whose composed document could not travel in a NOTIFY over UDP (one datagram) is refused
// with 413 and a reason (RFC 3261 21.4.11): it used to be taken (200), and the NOTIFY the socket
// could not send ended every UDP watcher's subscription without a word (RFC 6665 4.2.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { firstTuple, pidf, PresencePeer } from './presence-peer.js';

const HOST = '127.0.0.1';

type RunningServer = Awaited<ReturnType<typeof startServer>>;

/** alice (UDP) watching bob (TCP, registered, open) on a fresh server, for `run`; everything closed after. */
async function aliceWatchingBob(run: (srv: RunningServer, alice: PresencePeer, bob: PresencePeer) => Promise<void>): Promise<void> {
  const srv = await startServer({ listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], auth: false, probeIntervalSeconds: 0 });
  const alice = await PresencePeer.open('udp', HOST, srv.port('udp'), 'alice');
  const bob = await PresencePeer.open('tcp', HOST, srv.port('tcp'), 'bob');
  try {
    assert.equal((await bob.register()).status, 200);
    assert.equal((await alice.subscribe(bob.aor)).response.status, 200);
    await alice.notifyUntil((n) => firstTuple(n).basic === 'open');
    await run(srv, alice, bob);
  } finally {
    alice.close();
    bob.close();
    await srv.stop();
  }
}

test('a 33 KB note is 413 with the reason; the UDP watcher stays subscribed and sees the next state', () => aliceWatchingBob(async (srv, alice, bob) => {
  const big = await bob.publish({ body: pidf(bob.aor, 'open', { note: 'x'.repeat(33_000) }) });
  assert.equal(big.status, 413);
  assert.match(big.reason ?? '', /composed presence document would be \d+ bytes/);
  assert.equal(srv.server.controlContext().presence?.show(bob.aor).publications.length, 0, 'nothing was stored');

  assert.equal((await bob.publish({ body: pidf(bob.aor, 'open', { note: 'small' }) })).status, 200);
  assert.deepEqual(firstTuple(await alice.notify()), { basic: 'open', note: 'small' });
  assert.deepEqual(srv.server.controlContext().presence?.watchers(bob.aor).map((w) => w.watcher), [alice.aor]);
}));

test('900 tuples (55 KB) still reach a UDP watcher: tuples do not each repeat the PIDF namespace', () => aliceWatchingBob(async (_srv, alice, bob) => {
  const tuples = Array.from({ length: 900 }, (_, i) => `<tuple id="t${i}"><status><basic>open</basic></status></tuple>`).join('');
  const body = `<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${bob.aor}">${tuples}</presence>`;
  assert.equal((await bob.publish({ body })).status, 200);
  const n = await alice.notify();
  assert.equal((n.body.toString().match(/<tuple /g) ?? []).length, 901);
  assert.equal((n.body.toString().match(/xmlns=/g) ?? []).length, 1, 'declared once, on <presence>');
}));

test('a removal that would make the summary note fall back to a larger one keeps the document under 60,000 bytes: the UDP watcher gets it', async () => {
  // B's 20,000-char note, then A's short one (newest: the summary's), then C's 35,000 closed (55 KB
  // with A's note in the summary). A's removal made the summary repeat B's note: 75 KB, and the
  // NOTIFY the UDP socket could not send ended bob's subscription without a word.
  const srv = await startServer({ listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], auth: false, probeIntervalSeconds: 0 });
  const device = await PresencePeer.open('tcp', HOST, srv.port('tcp'), 'alice');
  const [a, b, c] = await Promise.all([0, 1, 2].map(() => PresencePeer.open('udp', HOST, srv.port('udp'), 'alice')));
  const bob = await PresencePeer.open('udp', HOST, srv.port('udp'), 'bob');
  try {
    assert.equal((await device.register()).status, 200);
    assert.equal((await bob.subscribe(device.aor)).response.status, 200);
    await bob.notifyUntil((n) => firstTuple(n).basic === 'open');
    const noteB = 'b'.repeat(20_000);
    assert.equal((await b.publish({ body: pidf(b.aor, 'open', { note: noteB, tupleId: 'tb' }) })).status, 200);
    await bob.notifyUntil((n) => firstTuple(n).note === noteB);
    const published = await a.publish({ body: pidf(a.aor, 'open', { note: 'a', tupleId: 'ta' }) });
    assert.equal(published.status, 200);
    await bob.notifyUntil((n) => firstTuple(n).note === 'a');
    assert.equal((await c.publish({ body: pidf(c.aor, 'closed', { note: 'c'.repeat(35_000), tupleId: 'tc' }) })).status, 200);
    await bob.notifyUntil((n) => n.body.toString().includes('id="tc"'));

    const removed = await a.publish({ etag: published.header('SIP-ETag'), expires: 0 });
    assert.equal(removed.status, 200);
    const n = await bob.notifyUntil((m) => !m.body.toString().includes('id="ta"'));
    const body = n.body.toString();
    assert.ok(n.body.length <= 60_000, `NOTIFY body ${n.body.length} bytes`);
    assert.equal(firstTuple(n).basic, 'open', 'B is still open');
    assert.match(body, /id="tb"/);
    assert.match(body, /id="tc"/);
    const shown = srv.server.controlContext().presence?.show(device.aor);
    assert.ok(Buffer.byteLength(shown?.document ?? '') <= 60_000, `ctl presence show: ${Buffer.byteLength(shown?.document ?? '')} bytes`);
    assert.deepEqual(srv.server.controlContext().presence?.watchers(device.aor).map((w) => w.watcher), [bob.aor], 'bob is still subscribed');
  } finally {
    for (const p of [device, a, b, c, bob]) p.close();
    await srv.stop();
  }
});
