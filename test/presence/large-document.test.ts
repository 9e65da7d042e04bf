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
