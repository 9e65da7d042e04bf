// A fetch of one's watcher list (SUBSCRIBE Event: presence.winfo, Expires: 0, RFC 6665 4.4.3) gets
// one terminated NOTIFY whose watcherinfo version is 0 (RFC 3858 4.1: versions start at 0 and are
// nonNegativeInteger); it used to say version="-1".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { PresencePeer } from './presence-peer.js';

test('a presence.winfo fetch (Expires: 0) gets version="0" and terminated', async () => {
  const srv = await startServer({ auth: false, probeIntervalSeconds: 0 });
  const dave = await PresencePeer.open('udp', '127.0.0.1', srv.port('udp'), 'dave');
  try {
    const { response } = await dave.subscribe(dave.aor, { event: 'presence.winfo', expires: 0 });
    assert.equal(response.status, 200);
    const n = await dave.notify();
    assert.equal(n.subscriptionState()?.state, 'terminated');
    assert.equal(n.contentType()?.subtype, 'watcherinfo+xml');
    assert.match(n.body.toString(), /<watcherinfo [^>]*version="0"/);
  } finally {
    dave.close();
    await srv.stop();
  }
});
