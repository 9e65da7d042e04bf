// Password guessing is limited per source address: past --max-auth-failures wrong digest answers in a
// minute (a wrong password and an unknown user count alike, so nothing tells which users exist), the
// address is refused with 403 for --auth-ban seconds, a correct answer included (an answer accepted
// during the ban would confirm a guess). Other addresses are not affected; the ban ends on time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverWithPeers } from '../helpers/server-with-peers.js';
import type { SipEndpoint } from '../helpers/sip-endpoint.js';

// A wildcard socket, so that 127.0.0.1 and 127.0.0.2 are two hosts talking to it.
const net = serverWithPeers({ listen: ['udp:0.0.0.0:0'], domains: ['example.com'], probeIntervalSeconds: 0, maxAuthFailures: 3, authBanSeconds: 2 });
const from = (address: string): Promise<SipEndpoint> => net.open('udp', address);

test('past the limit an address gets 403 even for the right password, others do not, and the ban ends', async () => {
  await net.srv.server.users.add('alice', 'example.com', 'right');
  const guesser = await from('127.0.0.1');
  // Two wrong passwords and two unknown users: four guesses, one past the limit of 3.
  assert.equal((await guesser.register('alice', 'wrong1')).status, 401);
  assert.equal((await guesser.register('alice', 'wrong2')).status, 401);
  assert.equal((await guesser.register('mallory', 'x', { authUser: 'mallory' })).status, 401);
  assert.equal((await guesser.register('trudy', 'x', { authUser: 'trudy' })).status, 401);
  const banned = await guesser.register('alice', 'right');
  assert.equal(banned.status, 403);
  assert.match(banned.reason ?? '', /too many failed authentications from this address; try again in [12] s/);
  assert.equal(net.srv.server.location.lookup('sip:alice@example.com').length, 0, 'nothing bound during the ban');

  const neighbour = await from('127.0.0.2');
  assert.equal((await neighbour.register('alice', 'right')).status, 200, 'another address is not banned');

  await new Promise((resolve) => setTimeout(resolve, 2100));
  assert.equal((await guesser.register('alice', 'right', { cseq: 50 })).status, 200, 'after --auth-ban the address may try again');
});
