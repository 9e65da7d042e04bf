// RFC 3261 16.2: a proxy forwards a request with a method it does not know like any non-INVITE
// request; only a request the server itself answers gets 501 Not Implemented (8.2.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverWithPeers } from '../helpers/server-with-peers.js';
import { newCallId, newTag, type SipEndpoint } from '../helpers/sip-endpoint.js';

const lab = serverWithPeers({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, auth: false, t1Ms: 40 });
const open = (): Promise<SipEndpoint> => lab.open();

const foo = (uri: string, extra: string[] = []): Parameters<SipEndpoint['request']>[0] => ({
  method: 'FOO', uri, from: 'sip:alice@example.com', to: uri, fromTag: newTag(), callId: newCallId(), cseq: 1, headers: extra,
});

test('FOO to a registered user is forwarded to the device, and its answer comes back', async () => {
  const bob = await open();
  const user = `b${newTag()}`;
  assert.equal((await bob.register(user)).status, 200);
  const alice = await open();
  const answered = alice.request(foo(`sip:${user}@example.com`));
  const got = await bob.nextRequest('FOO');
  assert.equal(got.via().length, 2, 'through the proxy');
  assert.equal(got.maxForwards(), 69);
  bob.respond(got, 200);
  assert.equal((await answered).response.status, 200);
});

test('FOO to the server itself is 501 Not Implemented', async () => {
  const alice = await open();
  const { response } = await alice.request(foo('sip:example.com'));
  assert.equal(response.status, 501);
});

test('FOO whose CSeq names another method is 400 (RFC 3261 8.1.1.5), not forwarded', async () => {
  const bob = await open();
  const user = `c${newTag()}`;
  assert.equal((await bob.register(user)).status, 200);
  const alice = await open();
  alice.send(alice.requestText(foo(`sip:${user}@example.com`)).replace('CSeq: 1 FOO', 'CSeq: 1 BAR'));
  const response = await alice.finalResponse();
  assert.equal(response.status, 400);
  assert.match(response.reason ?? '', /CSeq method BAR does not match FOO/);
  assert.equal(await bob.gets((m) => m.method === 'FOO', 300), false);
});
