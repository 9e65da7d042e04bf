// Subscriptions per presentity are limited (--max-watchers, presence and presence.winfo together),
// and those from watchers it has not allowed more so (--max-pending-watchers): SUBSCRIBEs from
// other domains are not challenged, and each used to be stored, without end. Beyond a limit: 403
// naming it (RFC 6665 4.2.1.1); a refresh is never refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { PresencePeer } from './presence-peer.js';

const HOST = '127.0.0.1';
const BOB = `sip:bob@${HOST}`;

test('beyond the pending limit strangers get 403 while an allowed watcher subscribes; beyond the total anyone; a refresh at the limit is 200', async () => {
  const srv = await startServer({ auth: false, probeIntervalSeconds: 0, maxWatchers: 4, maxPendingWatchers: 2 });
  const peers: PresencePeer[] = [];
  const peer = async (user: string, domain?: string): Promise<PresencePeer> => {
    const p = await PresencePeer.open('udp', HOST, srv.port('udp'), user, domain);
    peers.push(p);
    return p;
  };
  try {
    const bob = await peer('bob');
    assert.equal((await bob.subscribe(BOB, { event: 'presence.winfo' })).response.status, 200, 'winfo counts too');
    const eve1 = await peer('eve1', 'evil.example');
    const first = await eve1.subscribe(BOB);
    assert.equal(first.response.status, 200);
    assert.equal((await eve1.notify()).subscriptionState()?.state, 'pending');
    assert.equal((await (await peer('eve2', 'evil.example')).subscribe(BOB)).response.status, 200);

    const eve3 = await (await peer('eve3', 'evil.example')).subscribe(BOB);
    assert.equal(eve3.response.status, 403);
    assert.match(eve3.response.reason ?? '', /too many pending watchers: at most 2 /);
    const alice = await peer('alice');
    assert.equal((await alice.subscribe(BOB)).response.status, 200, 'an allowed watcher is not crowded out by strangers');
    assert.equal((await alice.notify()).subscriptionState()?.state, 'active');

    const carol = await (await peer('carol')).subscribe(BOB);
    assert.equal(carol.response.status, 403);
    assert.match(carol.response.reason ?? '', /too many watchers: at most 4 /);
    assert.equal((await eve1.resubscribe(first.dialog, 600)).status, 200, 'a refresh at the limit');
    assert.deepEqual(srv.server.controlContext().presence?.watchers(BOB).map((w) => w.watcher).sort(),
      [`sip:alice@${HOST}`, BOB, 'sip:eve1@evil.example', 'sip:eve2@evil.example']);
  } finally {
    for (const p of peers) p.close();
    await srv.stop();
  }
});
