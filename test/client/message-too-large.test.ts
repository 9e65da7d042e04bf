// A MESSAGE larger than a UDP datagram can carry fails to send (EMSGSIZE): that is a 513 Message
// Too Large saying so, not a 503 that makes the server look unreachable. (RFC 3261 18.1.1 would
// send it over TCP instead; this client does not.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scriptedPeerFixture } from './helpers.js';

const fixture = scriptedPeerFixture();

test('a 70 KB MESSAGE over UDP: 513 Message Too Large, a rejected error saying so; the next MESSAGE goes out', async () => {
  const { peer, ua } = fixture;
  const r = await ua.sendMessage('bob', 'x'.repeat(70_000));
  assert.equal(r.status, 513);
  assert.equal(r.accepted, false);
  assert.equal(r.error?.code, 'rejected');
  assert.match(r.error?.message as string, /MESSAGE: 513 Message Too Large \(.*too large for a UDP datagram/);
  assert.equal(peer.of('MESSAGE').length, 0);
  assert.equal((await ua.sendMessage('bob', 'short')).status, 200);
});
