// MESSAGE through simplesip between a WebSocket user (RFC 7118), a UDP IPv4 user and a TCP IPv6 user
// (issue 4, gap 1), digest on. The WebSocket user's Via and Contact name a `.invalid` host nobody can
// reach: requests for her can only arrive over her WebSocket connection.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipMessage } from '../../src/sip/message.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint, type RequestSpec } from '../helpers/sip-endpoint.js';

const message = (from: string, to: string, body: string): RequestSpec => ({
  method: 'MESSAGE', uri: `sip:${to}@example.com`, from: `sip:${from}@example.com`, to: `sip:${to}@example.com`,
  fromTag: newTag(), callId: newCallId(), cseq: 1, body, contentType: 'text/plain;charset=utf-8',
});

/** Waits for a MESSAGE at `peer` and answers 200. */
async function take(peer: SipEndpoint): Promise<SipMessage> {
  const m = await peer.nextRequest('MESSAGE');
  peer.respond(m, 200);
  return m;
}

describe('MESSAGE between WebSocket, UDP IPv4 and TCP IPv6 users (auth on)', () => {
  let srv: RunningServer;
  let alice: SipEndpoint;
  let bob: SipEndpoint;
  let carol: SipEndpoint;

  before(async () => {
    srv = await startServer({
      listen: ['udp:127.0.0.1:0', 'tcp:[::1]:0', 'ws:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, t1Ms: 40,
    });
    for (const u of ['alice', 'bob', 'carol']) await srv.server.users.add(u, 'example.com', `${u}-secret`);
    alice = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    bob = await SipEndpoint.open('tcp', '::1', srv.port('tcp'));
    carol = await SipEndpoint.open('ws', '127.0.0.1', srv.port('ws'));
    for (const [p, u] of [[alice, 'alice'], [bob, 'bob'], [carol, 'carol']] as const) {
      const r = await p.register(u, `${u}-secret`);
      assert.equal(r.status, 200, `register ${u}: ${r.status} ${r.reason}`);
    }
  });
  after(async () => {
    for (const p of [alice, bob, carol]) p?.close();
    await srv.stop();
  });

  test('carol is bound over her WebSocket connection, Contact with transport=ws', () => {
    const [b] = srv.server.location.lookup('sip:carol@example.com');
    assert.equal(b.received.protocol, 'ws');
    assert.ok(b.connectionId !== undefined, 'the binding names the WebSocket connection');
    assert.match(b.contact, /^<?sip:carol@[a-z0-9]+\.invalid;transport=ws>?$/);
  });

  test('the challenge puts MD5 last on WebSocket (SIP.js and JsSIP answer only the last one), first on UDP', async () => {
    const algorithms = (r: SipMessage): Array<string | undefined> => r.wwwAuthenticate().map((c) => c.params.get('algorithm'));
    const overWs = await carol.register('carol');
    assert.equal(overWs.status, 401);
    assert.deepEqual(algorithms(overWs), ['SHA-256', 'MD5']);
    const overUdp = await alice.register('alice');
    assert.equal(overUdp.status, 401);
    assert.deepEqual(algorithms(overUdp), ['MD5', 'SHA-256'], 'SIPp and libpurple answer only the first');
  });

  test('UDP IPv4 alice -> WS carol -> alice', async () => {
    const sent = alice.request(message('alice', 'carol', 'hi carol, from udp'), 'alice-secret');
    const got = await take(carol);
    assert.equal((await sent).response.status, 200);
    assert.equal(got.body.toString(), 'hi carol, from udp');
    assert.match(got.requestUri, /\.invalid;transport=ws$/, 'Request-URI is her contact');
    assert.match(got.via()[0]?.transport ?? '', /^WS$/i, 'our Via says WS (RFC 7118 5.2)');
    const back = carol.request(message('carol', 'alice', 'hi alice, from ws'), 'carol-secret');
    const reply = await take(alice);
    assert.equal((await back).response.status, 200);
    assert.equal(reply.body.toString(), 'hi alice, from ws');
    assert.equal(reply.via()[1]?.transport.toUpperCase(), 'WS', "carol's own Via is kept under ours");
  });

  test('TCP IPv6 bob -> WS carol -> bob', async () => {
    const sent = bob.request(message('bob', 'carol', 'hi carol, from tcp6'), 'bob-secret');
    const got = await take(carol);
    assert.equal((await sent).response.status, 200);
    assert.equal(got.body.toString(), 'hi carol, from tcp6');
    const back = carol.request(message('carol', 'bob', 'hi bob, from ws'), 'carol-secret');
    const reply = await take(bob);
    assert.equal((await back).response.status, 200);
    assert.equal(reply.body.toString(), 'hi bob, from ws');
    assert.match(reply.requestUri, /^sip:bob@\[::1\]:\d+;transport=tcp$/);
  });

  test('a WS user\'s 486 reaches the UDP sender; once her socket closes she is unregistered and messages for her are stored (202)', async () => {
    const sent = alice.request(message('alice', 'carol', 'busy?'), 'alice-secret');
    const m = await carol.nextRequest('MESSAGE');
    carol.respond(m, 486);
    assert.equal((await sent).response.status, 486);
    carol.close();
    for (let i = 0; i < 50 && srv.server.location.lookup('sip:carol@example.com').length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(srv.server.location.lookup('sip:carol@example.com').length, 0, 'the binding went with its connection');
    const later = await alice.request(message('alice', 'carol', 'when you are back'), 'alice-secret');
    assert.equal(later.response.status, 202);
  });
});
