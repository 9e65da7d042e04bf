// A To tag is no proof of a dialog (RFC 3261 16.3, 22): anyone can write one. Requests that claim a
// dialog are exempt from the challenge and from the relay policy only when they follow a route set
// we recorded (our signed Record-Route) or a dialog the server holds itself. Without that, a
// stranger could send MESSAGEs as one of our users, publish their presence, fill their mailbox in
// their name, or relay through us to anywhere; with it, real dialogs still go through unchallenged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import type { SipMessage } from '../../src/sip/message.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { contactUri, newCallId, newTag, SipEndpoint, uacRouteSet, uasRouteSet, type RequestSpec } from '../helpers/sip-endpoint.js';

const PIDF = '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@example.com"><tuple id="t"><status><basic>open</basic></status><note>forged</note></tuple></presence>';

describe('requests that only claim a dialog (auth on)', () => {
  let srv: RunningServer;
  const peers: SipEndpoint[] = [];
  let victim: Socket;
  const victimInbox: string[] = [];
  const open = async (): Promise<SipEndpoint> => {
    const p = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    peers.push(p);
    return p;
  };
  const spec = (method: string, uri: string, from: string, to: string, extra: Partial<RequestSpec> = {}): RequestSpec => ({
    method, uri, from, to, fromTag: newTag(), toTag: 'made-up', callId: newCallId(), cseq: 1, ...extra,
  });
  const answer = async (p: SipEndpoint, s: RequestSpec): Promise<SipMessage> => {
    p.sendRequest(s);
    return p.finalResponse();
  };

  before(async () => {
    srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, t1Ms: 40 });
    for (const u of ['alice', 'bob', 'dan']) await srv.server.users.add(u, 'example.com', `${u}-secret`);
    victim = createSocket('udp4');
    victim.on('message', (data) => victimInbox.push(data.toString()));
    await new Promise<void>((resolve) => victim.bind(0, '127.0.0.2', resolve));
  });
  after(async () => {
    for (const p of peers) p.close();
    victim.close();
    await srv.stop();
  });

  test('a MESSAGE "from" our user with a made-up To tag is challenged, not delivered nor stored', async () => {
    const bob = await open();
    assert.equal((await bob.register('bob', 'bob-secret')).status, 200);
    const eve = await open();
    const toBob = await answer(eve, spec('MESSAGE', 'sip:bob@example.com', 'sip:alice@example.com', 'sip:bob@example.com', { body: 'spoofed', contentType: 'text/plain' }));
    assert.equal(toBob.status, 407);
    assert.equal(await bob.gets((m) => m.kind === 'request' && m.method === 'MESSAGE', 200), false, 'bob got the forged MESSAGE');
    // dan has no binding: the offline store would have kept it as a message from alice.
    const toDan = await answer(eve, spec('MESSAGE', 'sip:dan@example.com', 'sip:alice@example.com', 'sip:dan@example.com', { body: 'stored spoof', contentType: 'text/plain' }));
    assert.equal(toDan.status, 407);
    assert.equal(srv.server.offlineMessages.list('sip:dan@example.com').length, 0);
  });

  test('a PUBLISH of our user\'s presence with a made-up To tag is challenged', async () => {
    const eve = await open();
    const r = await answer(eve, spec('PUBLISH', 'sip:alice@example.com', 'sip:alice@example.com', 'sip:alice@example.com', {
      headers: ['Event: presence', 'Expires: 60'], body: PIDF, contentType: 'application/pidf+xml',
    }));
    assert.equal(r.status, 407);
  });

  test('no relay through a preloaded Route of ours plus a To tag: 403, nothing reaches the foreign address', async () => {
    const eve = await open();
    const target = `sip:victim@127.0.0.2:${victim.address().port}`;
    const route = `<sip:127.0.0.1:${srv.port('udp')};lr>`;
    for (const method of ['MESSAGE', 'INVITE']) {
      const r = await answer(eve, spec(method, target, 'sip:eve@evil.example', 'sip:victim@far.example', { routes: [route], contact: method === 'INVITE' }));
      assert.equal(r.status, 403, `${method}: ${r.status} ${r.reason}`);
      assert.match(r.reason as string, /relaying to 127\.0\.0\.2 is not allowed/);
    }
    // A Route of ours with a token signed for another dialog proves nothing either.
    const forged = `<sip:127.0.0.1:${srv.port('udp')};lr;ss-dlg=AAAAAAAAAAAAAAAA>`;
    assert.equal((await answer(eve, spec('MESSAGE', target, 'sip:eve@evil.example', 'sip:victim@far.example', { routes: [forged] }))).status, 403);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(victimInbox, []);
  });

  test('a real dialog still needs no new challenge: a re-INVITE through our signed Record-Route reaches the callee', async () => {
    const alice = await open();
    const bob = await open();
    assert.equal((await alice.register('alice', 'alice-secret')).status, 200);
    assert.equal((await bob.register('bob', 'bob-secret')).status, 200);
    const calling = alice.request({
      method: 'INVITE', uri: 'sip:bob@example.com', from: 'sip:alice@example.com', to: 'sip:bob@example.com',
      fromTag: newTag(), callId: newCallId(), cseq: 1, contact: true,
    }, 'alice-secret');
    const inv = await bob.nextRequest('INVITE');
    const bobTag = newTag();
    const rr = inv.rawValues('record-route').map((v): [string, string] => ['Record-Route', v]);
    bob.respond(inv, 200, { toTag: bobTag, headers: [...rr, ['Contact', bob.contact('bob')]] });
    const { response: ok, spec: first } = await calling;
    const dialog = { uri: contactUri(ok), from: first.from, to: first.to, fromTag: first.fromTag, toTag: bobTag, callId: first.callId, routes: uacRouteSet(ok) };
    alice.sendRequest({ ...dialog, method: 'ACK', cseq: first.cseq });
    await bob.nextRequest('ACK');
    // The re-INVITE carries no credentials: the Route entry with our token is the proof.
    alice.sendRequest({ ...dialog, method: 'INVITE', cseq: first.cseq + 1, contact: true });
    const reinvite = await bob.nextRequest('INVITE');
    assert.equal(reinvite.hasHeader('proxy-authorization'), false);
    bob.respond(reinvite, 200, { toTag: bobTag, headers: [['Contact', bob.contact('bob')]] });
    assert.equal((await alice.nextResponse('INVITE', 200, 699)).status, 200);
    alice.sendRequest({ ...dialog, method: 'ACK', cseq: first.cseq + 1 });
    await bob.nextRequest('ACK');
    // The callee's side of the same route set works the other way.
    bob.sendRequest({ method: 'BYE', uri: contactUri(inv), from: first.to, to: first.from, fromTag: bobTag, toTag: first.fromTag, callId: first.callId, cseq: 1, routes: uasRouteSet(inv) });
    const bye = await alice.nextRequest('BYE');
    alice.respond(bye, 200);
    assert.equal((await bob.nextResponse('BYE', 200)).status, 200);
  });
});
