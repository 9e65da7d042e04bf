// SUBSCRIBE processing (subscribe-handler.ts) end to end: what the watcher sees in the NOTIFYs of
// the dialog its SUBSCRIBE created.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatUri } from '../../src/sip/uri.js';
import { startServer } from '../helpers/server.js';
import { newBranch } from '../helpers/sip-endpoint.js';
import { PresencePeer } from './presence-peer.js';

const HOST = '127.0.0.1';

test('a quoted display name containing ";tag=" stays the display name: the NOTIFY To is the watcher\'s From with its real tag', async () => {
  const srv = await startServer({ listen: ['udp:127.0.0.1:0'], auth: false, probeIntervalSeconds: 0 });
  const bob = await PresencePeer.open('udp', HOST, srv.port('udp'), 'bob');
  const alice = `sip:alice@${HOST}`;
  try {
    // RFC 3261 25.1: a quoted-string may hold ";tag="; the From's tag is the parameter after ">".
    const response = await bob.request([
      `SUBSCRIBE ${alice} SIP/2.0`, `Via: ${bob.sip.via(newBranch())}`, 'Max-Forwards: 70',
      `From: "Bob ;tag=oops" <${bob.aor}>;tag=realtag`, `To: "Alice ;tag=x" <${alice}>`, 'Call-ID: quoted-tag-1', 'CSeq: 1 SUBSCRIBE',
      `Contact: ${bob.sip.contact('bob')}`, 'Event: presence', 'Expires: 600',
    ]);
    assert.equal(response.status, 200);
    const n = await bob.notify();
    // RFC 3261 12.1.1: the NOTIFY's To is the SUBSCRIBE's From, the tag the dialog's remote tag.
    const to = n.to();
    assert.equal(to.displayName, 'Bob ;tag=oops');
    assert.equal(formatUri(to.uri), bob.aor);
    assert.equal(to.tag, 'realtag');
    const from = n.from();
    assert.equal(from.displayName, 'Alice ;tag=x');
    assert.equal(from.tag, response.to().tag);
  } finally {
    bob.close();
    await srv.stop();
  }
});
