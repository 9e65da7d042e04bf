// RFC 3261 6 and 16.6 step 8: a request that comes back to us changed is a spiral, not a loop. Here
// alice preloads a route through another element X and back to us; X takes its entry off and sends
// the request back with a shorter route set, and it must reach bob (it used to be 482 Loop Detected).
// A request that comes back unchanged still is a loop (test/server/proxy-errors-e2e.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverWithPeers } from '../helpers/server-with-peers.js';
import { newBranch, newCallId, newTag, type SipEndpoint } from '../helpers/sip-endpoint.js';

const lab = serverWithPeers({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, auth: false, t1Ms: 40 });
const open = (): Promise<SipEndpoint> => lab.open();

test('an INVITE preloaded through another proxy and back to us reaches the callee', async () => {
  const bob = await open();
  const user = `s${newTag()}`;
  assert.equal((await bob.register(user)).status, 200);
  const x = await open(); // a stateless loose router
  const alice = await open();
  const us = `<sip:127.0.0.1:${lab.srv.port('udp')};lr>`;
  alice.sendRequest({
    method: 'INVITE', uri: `sip:${user}@example.com`, from: 'sip:alice@example.com', to: `sip:${user}@example.com`,
    fromTag: newTag(), callId: newCallId(), cseq: 1, contact: true, routes: [`<sip:127.0.0.1:${x.port};lr>`, us],
  });
  // X (RFC 3261 16.4/16.6): its own Route entry off, its Via on top, Max-Forwards down, back to us.
  const atX = await x.nextRequest('INVITE');
  const onward = atX.clone();
  onward.removeHeader('Route');
  onward.addHeader('Route', us);
  onward.addHeader('Via', x.via(newBranch()), 'first');
  onward.setHeader('Max-Forwards', String((atX.maxForwards() ?? 70) - 1));
  x.send(onward.toBuffer());
  assert.equal(await x.gets((m) => m.kind === 'response' && m.status === 482, 300), false, 'no 482 Loop Detected');
  const atBob = await bob.nextRequest('INVITE');
  assert.equal(atBob.via().length, 4, 'alice, us, X, us: a spiral');
  bob.respond(atBob, 486, { toTag: newTag() });
});
