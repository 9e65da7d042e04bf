// The Contact of a SUBSCRIBE becomes the remote target NOTIFYs are sent to: it must be a SIP or SIPS
// URI (RFC 3261 8.1.1.8, 12.1.1). A tel: Contact is 400 with the reason; it used to get 200 and a
// subscription whose NOTIFYs went to tel:.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { PresencePeer } from './presence-peer.js';

test('a SUBSCRIBE with a tel: Contact is 400 and creates no subscription', async () => {
  const srv = await startServer({ auth: false, probeIntervalSeconds: 0 });
  const alice = await PresencePeer.open('udp', '127.0.0.1', srv.port('udp'), 'alice');
  const bob = 'sip:bob@127.0.0.1';
  try {
    const { response } = await alice.subscribe(bob, { contact: '<tel:+15551234567>' });
    assert.equal(response.status, 400);
    assert.match(response.reason ?? '', /Contact must be a sip: or sips: URI/);
    assert.equal(srv.server.controlContext().presence?.watchers(bob).length, 0);
    await assert.rejects(alice.notify(200, 300), /no request/, 'no NOTIFY');
  } finally {
    alice.close();
    await srv.stop();
  }
});
