// A binding whose address now belongs to another UA (its client was killed without un-REGISTER and
// another user's client took the port) answers a MESSAGE for it with 404 (RFC 3261 8.2.2.1: not an
// address that UA takes requests for). That says the binding is stale, not that the message is
// unwanted: it is stored (202) and delivered when its user registers again, never lost.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint } from '../helpers/sip-endpoint.js';
import { storedMessages } from '../helpers/stored-messages.js';

let srv: RunningServer;
const peers: SipEndpoint[] = [];
before(async () => {
  srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], auth: false, probeIntervalSeconds: 0, t1Ms: 40 });
});
after(async () => {
  for (const p of peers) p.close();
  await srv.stop();
});

test('404 from the only binding: stored and answered 202, not lost', async () => {
  const squatter = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
  const alice = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
  peers.push(squatter, alice);
  // victim's stale binding points at the squatter's socket.
  assert.equal((await squatter.register('victim', undefined, { contacts: [`<sip:victim@${squatter.sentBy}>`] })).status, 200);
  const pending = alice.request({
    method: 'MESSAGE', uri: 'sip:victim@example.com', from: 'sip:alice@example.com', to: 'sip:victim@example.com',
    fromTag: newTag(), callId: newCallId(), cseq: 1, contentType: 'text/plain', body: 'for victim only',
  });
  squatter.respond(await squatter.nextRequest('MESSAGE'), 404, { reason: 'Not Found (not an address of this user agent)' });
  assert.equal((await pending).response.status, 202);
  assert.deepEqual((await storedMessages(srv.server.offlineMessages, 'sip:victim@example.com')).map((m) => m.body.toString()), ['for victim only']);
});
