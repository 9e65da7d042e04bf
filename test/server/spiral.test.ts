// RFC 3261 6 and 16.6 step 8: a request that comes back to us changed is a spiral, not a loop. Here
// alice preloads a route through another element X and back to us; X takes its entry off and sends
// the request back with a shorter route set, and it must reach bob (it used to be 482 Loop Detected).
// A request that comes back unchanged still is a loop (test/server/proxy-errors-e2e.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverWithPeers } from '../helpers/server-with-peers.js';
import type { SipMessage } from '../../src/sip/message.js';
import { newBranch, newCallId, newTag, type SipEndpoint } from '../helpers/sip-endpoint.js';

const lab = serverWithPeers({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, auth: false, t1Ms: 40 });
const open = (): Promise<SipEndpoint> => lab.open();

/** X, a stateless loose router: its Route entry off, its Via on top, Max-Forwards down, back to us. */
function throughX(x: SipEndpoint, atX: SipMessage, us: string): SipMessage {
  const onward = atX.clone();
  onward.removeHeader('Route');
  onward.addHeader('Route', us);
  onward.addHeader('Via', x.via(newBranch()), 'first');
  onward.setHeader('Max-Forwards', String((atX.maxForwards() ?? 70) - 1));
  x.send(onward.toBuffer());
  return onward;
}

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
  throughX(x, await x.nextRequest('INVITE'), us);
  assert.equal(await x.gets((m) => m.kind === 'response' && m.status === 482, 300), false, 'no 482 Loop Detected');
  const atBob = await bob.nextRequest('INVITE');
  assert.equal(atBob.via().length, 4, 'alice, us, X, us: a spiral');
  bob.respond(atBob, 486, { toTag: newTag() });
});

// With authentication on, the first pass consumes alice's digest answer (RFC 3261 22.3). The pass
// that comes back through X must not be challenged again: nobody could answer that challenge, and
// alice's request would never arrive. What lets it through is a mark in our own Via, bound to the
// request; a copy of that Via on another request, or a made-up mark, proves nothing.
const authLab = serverWithPeers({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, t1Ms: 40 });


test('with authentication on, a MESSAGE of a proven sender that spirals back through X reaches bob once', async () => {
  const { users } = authLab.srv.server;
  await users.add('alice', 'example.com', 'alice-pw');
  await users.add('bob', 'example.com', 'bob-pw');
  const bob = await authLab.open();
  assert.equal((await bob.register('bob', 'bob-pw')).status, 200);
  const x = await authLab.open();
  const alice = await authLab.open();
  const us = `<sip:127.0.0.1:${authLab.srv.port('udp')};lr>`;
  const sent = alice.request({
    method: 'MESSAGE', uri: 'sip:bob@example.com', from: 'sip:alice@example.com', to: 'sip:bob@example.com',
    fromTag: newTag(), callId: newCallId(), cseq: 1, routes: [`<sip:127.0.0.1:${x.port};lr>`, us],
    contentType: 'text/plain', body: 'round the houses',
  }, 'alice-pw');
  const atX = await x.nextRequest('MESSAGE');
  assert.equal(atX.header('proxy-authorization'), undefined, 'our credentials were consumed on the first pass');
  const onward = throughX(x, atX, us);
  assert.equal(await x.gets((m) => m.kind === 'response' && m.status === 407, 300), false, 'the spiral is not challenged again');
  const atBob = await bob.nextRequest('MESSAGE');
  assert.equal(atBob.body.toString(), 'round the houses');
  bob.respond(atBob, 200, { toTag: newTag() });
  // The 200 comes back to X; X takes its Via off and passes it on to us, and we to alice.
  const toX = await x.nextResponse('MESSAGE', 200);
  toX.removeHeader('Via');
  for (const v of atX.headerValues('via')) toX.addHeader('Via', v);
  x.send(toX.toBuffer());
  assert.equal((await sent).response.status, 200, 'alice learns that bob got it');

  // The same marked Via under another request (a new CSeq) proves nothing: challenged.
  const replay = onward.clone();
  replay.setHeader('CSeq', `${(atX.cseq().seq) + 1} MESSAGE`);
  replay.removeHeader('Via');
  replay.addHeader('Via', x.via(newBranch()));
  for (const v of atX.headerValues('via')) replay.addHeader('Via', v);
  x.send(replay.toBuffer());
  assert.equal((await x.nextResponse('MESSAGE', 400)).status, 407, 'a copied Via does not carry the proof to another request');
  // A mark made up by the sender proves nothing either.
  const forged = replay.clone();
  forged.setHeader('CSeq', `${(atX.cseq().seq) + 2} MESSAGE`);
  forged.removeHeader('Via');
  forged.addHeader('Via', x.via(newBranch()));
  forged.addHeader('Via', `SIP/2.0/UDP 127.0.0.1:${authLab.srv.port('udp')};branch=z9hG4bK-ss-AAAAAAAAAAAAAAAA-BBBBBBBBBBBBBBBB.p${Math.floor(Date.now() / 1000).toString(36)}.CCCCCCCCCCCCCCCC`);
  for (const v of atX.headerValues('via').slice(1)) forged.addHeader('Via', v);
  x.send(forged.toBuffer());
  assert.equal((await x.nextResponse('MESSAGE', 400)).status, 407, 'a made-up mark does not pass');
  // bob's inbox holds retransmissions of the MESSAGE he answered (T1 is 40 ms here), nothing newer.
  assert.equal(await bob.gets((m) => m.kind === 'request' && m.method === 'MESSAGE' && m.cseq().seq > atBob.cseq().seq, 300), false,
    'neither the copy nor the forgery reached bob');
});
