// A MESSAGE forwarded to a device over TCP whose connection closes before it answers: the branch
// fails at once as a transport error (RFC 3261 17.1.4, 503 for the branch), so the message is stored
// offline and the sender has its 202 within moments, not after Timer F (64*T1 = 32 s here, T1 at
// its default). Once the device registers again the stored message reaches it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipMessage } from '../../src/sip/message.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint } from '../helpers/sip-endpoint.js';

let srv: RunningServer;
const peers: SipEndpoint[] = [];
const open = async (protocol: 'udp' | 'tcp'): Promise<SipEndpoint> => {
  const p = await SipEndpoint.open(protocol, '127.0.0.1', srv.port(protocol));
  peers.push(p);
  return p;
};
const isMessage = (m: SipMessage): boolean => m.kind === 'request' && m.method === 'MESSAGE';

before(async () => {
  srv = await startServer({
    listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, auth: false, messageRate: 0,
  });
});
after(async () => {
  for (const p of peers) p.close();
  await srv.stop();
});

test('the callee\'s TCP connection closes before it answers: 202 (stored) at once, delivered when it registers again', async () => {
  const alice = await open('udp');
  const bob = await open('tcp');
  assert.equal((await bob.register('bob')).status, 200);
  const started = Date.now();
  const sent = alice.request({
    method: 'MESSAGE', uri: 'sip:bob@example.com', from: 'sip:alice@example.com', to: 'sip:bob@example.com',
    fromTag: newTag(), callId: newCallId(), cseq: 1, body: 'are you there?', contentType: 'text/plain',
  }, undefined, 5000);
  await bob.next(isMessage);
  bob.close(); // gone without an answer
  const { response } = await sent;
  const waited = Date.now() - started;
  assert.equal(response.status, 202, `${response.status} ${response.reason}`);
  assert.ok(waited < 3000, `the sender waited ${waited} ms (Timer F is 32 s)`);

  const again = await open('tcp');
  assert.equal((await again.register('bob')).status, 200);
  const delivered = await again.next(isMessage, 5000);
  assert.equal(delivered.body.toString(), 'are you there?');
  again.respond(delivered, 200);
});
