// INVITE, CANCEL, ACK and BYE through simplesip end to end (issue 4, gap 2; RFC 3261 16, no media):
// a call set up and torn down with every in-dialog request loose-routed through our Record-Route; a
// call cancelled while ringing (16.10: 200 to the CANCEL, CANCEL downstream, 487 up, the 487 ACKed
// hop by hop); a callee with two devices where the 200 of one cancels the other (16.7 step 10); the
// ACK of a 2xx sent to the callee's AOR rather than her contact (SIPp's uac does so) reaches her devices.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { answerChallenge, pickChallenge } from '../../src/auth/digest-client.js';
import type { SipMessage } from '../../src/sip/message.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { contactUri, newBranch, newCallId, newTag, SipEndpoint, uacRouteSet, uasRouteSet, type RequestSpec } from '../helpers/sip-endpoint.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n';

const invite = (from: string, to: string): RequestSpec => ({
  method: 'INVITE', uri: `sip:${to}@example.com`, from: `sip:${from}@example.com`, to: `sip:${to}@example.com`,
  fromTag: newTag(), callId: newCallId(), cseq: 1, contact: true, body: SDP, contentType: 'application/sdp',
});

/** Our Record-Route URIs: one or two (RFC 5658), each with lr and our dialog token, each one of the server's sockets. */
function assertOurRecordRoute(m: SipMessage, ports: number[]): void {
  const rr = uasRouteSet(m);
  assert.ok(rr.length >= 1 && rr.length <= 2, `Record-Route: ${rr.join(' | ')}`);
  for (const r of rr) {
    assert.match(r, /;lr;ss-dlg=[\w-]{16}>$/, `loose routing, signed for the dialog: ${r}`);
    assert.ok(ports.some((p) => r.includes(`:${p};`) || r.includes(`:${p}>`)), `${r} names one of our sockets`);
  }
}

describe('INVITE dialogs through the proxy (auth on)', () => {
  let srv: RunningServer;
  const peers: SipEndpoint[] = [];
  let ports: number[];
  const open = async (protocol: 'udp' | 'tcp' | 'ws', host: string): Promise<SipEndpoint> => {
    const p = await SipEndpoint.open(protocol, host, srv.listeners.find((l) => l.protocol === protocol && l.address === host)?.port ?? srv.port(protocol));
    peers.push(p);
    return p;
  };
  const register = async (p: SipEndpoint, user: string): Promise<void> => {
    const r = await p.register(user, `${user}-secret`);
    assert.equal(r.status, 200, `register ${user}: ${r.status} ${r.reason}`);
  };

  before(async () => {
    srv = await startServer({
      listen: ['udp:127.0.0.1:0', 'tcp:[::1]:0', 'ws:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, t1Ms: 40,
    });
    ports = srv.listeners.map((l) => l.port);
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin']) await srv.server.users.add(u, 'example.com', `${u}-secret`);
  });
  after(async () => {
    for (const p of peers) p.close();
    await srv.stop();
  });

  test('UDP IPv4 caller, TCP IPv6 callee: INVITE -> 180 -> 200 -> ACK -> BYE, in-dialog requests through our Record-Route', async () => {
    const alice = await open('udp', '127.0.0.1');
    const bob = await open('tcp', '::1');
    await register(alice, 'alice');
    await register(bob, 'bob');
    const calling = alice.request(invite('alice', 'bob'), 'alice-secret');
    const inv = await bob.nextRequest('INVITE');
    assert.match(inv.requestUri, /^sip:bob@\[::1\]:\d+;transport=tcp$/);
    assert.equal(inv.body.toString(), SDP, 'the SDP passes untouched');
    assert.equal(inv.via().length, 2);
    assertOurRecordRoute(inv, ports);
    assert.equal(uasRouteSet(inv).length, 2, 'UDP IPv4 in, TCP IPv6 out: two entries (RFC 5658)');
    const bobTag = newTag();
    const rr = inv.rawValues('record-route').map((v): [string, string] => ['Record-Route', v]);
    bob.respond(inv, 180, { toTag: bobTag, headers: [...rr, ['Contact', bob.contact('bob')]] });
    bob.respond(inv, 200, { toTag: bobTag, headers: [...rr, ['Contact', bob.contact('bob')]] });
    const { response: ok, spec } = await calling;
    assert.equal(ok.status, 200);
    assert.equal(ok.via().length, 1, 'our Via is gone from the answer');
    const ringing = await alice.nextResponse('INVITE', 180, 180);
    assert.equal(ringing.to().tag, bobTag);

    // RFC 3261 12.1.2 / 13.2.2.4: alice's route set is the Record-Route reversed; the ACK and the BYE
    // go to its first entry (us), with the Contact of bob as Request-URI.
    const routes = uacRouteSet(ok);
    const dialog = { uri: contactUri(ok), from: spec.from, to: spec.to, fromTag: spec.fromTag, toTag: bobTag, callId: spec.callId, routes };
    // 13.2.2.4: the ACK carries the INVITE's credentials; like the INVITE's, they are ours to consume (22.3).
    const credentials = (spec.headers ?? []).filter((h) => /^Proxy-Authorization:/i.test(h));
    assert.equal(credentials.length, 1);
    alice.sendRequest({ ...dialog, method: 'ACK', cseq: spec.cseq, headers: credentials });
    const ack = await bob.nextRequest('ACK');
    assert.equal(ack.via().length, 2, 'the ACK came through us (our Via on top)');
    assert.equal(ack.hasHeader('route'), false, 'our Route entries were consumed');
    assert.equal(ack.hasHeader('proxy-authorization'), false, "bob never sees alice's digest answer");
    assert.equal(inv.hasHeader('proxy-authorization'), false);
    assert.equal(ack.requestUri, contactUri(ok));

    alice.sendRequest({ ...dialog, method: 'BYE', cseq: spec.cseq + 1 });
    const bye = await bob.nextRequest('BYE');
    assert.equal(bye.via().length, 2, 'the BYE came through us');
    assert.equal(bye.hasHeader('route'), false);
    assert.equal(bye.maxForwards(), 69);
    bob.respond(bye, 200);
    const byeOk = await alice.nextResponse('BYE', 200);
    assert.equal(byeOk.status, 200);
  });

  test('the callee hangs up: BYE from the TCP IPv6 side follows its route set (in order) back to the UDP caller', async () => {
    const alice = await open('udp', '127.0.0.1');
    const bob = await open('tcp', '::1');
    await register(alice, 'alice');
    await register(bob, 'bob');
    const calling = alice.request(invite('alice', 'bob'), 'alice-secret');
    const inv = await bob.nextRequest('INVITE');
    const bobTag = newTag();
    bob.respond(inv, 200, { toTag: bobTag, headers: [...inv.rawValues('record-route').map((v): [string, string] => ['Record-Route', v]), ['Contact', bob.contact('bob')]] });
    const { response: ok, spec } = await calling;
    alice.sendRequest({ method: 'ACK', uri: contactUri(ok), from: spec.from, to: spec.to, fromTag: spec.fromTag, toTag: bobTag, callId: spec.callId, cseq: spec.cseq, routes: uacRouteSet(ok) });
    await bob.nextRequest('ACK');
    // RFC 3261 12.1.1: the UAS's route set is the Record-Route in order; its remote target alice's Contact.
    bob.sendRequest({
      method: 'BYE', uri: contactUri(inv), from: spec.to, to: spec.from, fromTag: bobTag, toTag: spec.fromTag, callId: spec.callId, cseq: 1,
      routes: uasRouteSet(inv),
    });
    const bye = await alice.nextRequest('BYE');
    assert.equal(bye.via().length, 2, 'through us');
    assert.equal(bye.hasHeader('route'), false);
    alice.respond(bye, 200);
    assert.equal((await bob.nextResponse('BYE', 200)).status, 200);
  });

  test('INVITE -> 180 -> CANCEL: 200 to the CANCEL, CANCEL to the callee, 487 up, both 487s ACKed', async () => {
    const alice = await open('udp', '127.0.0.1');
    const carol = await open('udp', '127.0.0.1');
    await register(alice, 'alice');
    await register(carol, 'carol');
    const inviteSpec = invite('alice', 'carol');
    // First the 407 (ACKed by the helper), then the authenticated INVITE, which rings.
    const branch1 = alice.sendRequest(inviteSpec);
    const challenge = await alice.nextResponse('INVITE', 407, 407);
    alice.ackNon2xx({ ...inviteSpec, branch: branch1 }, challenge);
    const auth = answerChallenge(pickChallenge(challenge.proxyAuthenticate()) ?? assert.fail('no challenge'),
      { username: 'alice', password: 'alice-secret' }, 'INVITE', inviteSpec.uri, 1);
    const authed: RequestSpec = { ...inviteSpec, cseq: 2, branch: newBranch(), headers: [`Proxy-Authorization: ${auth}`] };
    alice.sendRequest(authed);
    const inv = await carol.nextRequest('INVITE');
    const carolTag = newTag();
    carol.respond(inv, 180, { toTag: carolTag });
    await alice.nextResponse('INVITE', 180, 180);

    // RFC 3261 9.1: the CANCEL has the INVITE's Request-URI, Call-ID, From, To, CSeq number and Via branch.
    alice.sendRequest({ ...authed, method: 'CANCEL', body: undefined, contentType: undefined, headers: [], contact: false });
    assert.equal((await alice.nextResponse('CANCEL', 200, 699)).status, 200, 'the proxy answers the CANCEL itself (16.10)');
    const cancel = await carol.nextRequest('CANCEL');
    assert.equal(cancel.topVia()?.branch, inv.topVia()?.branch, 'the CANCEL matches our INVITE branch (9.1)');
    assert.equal(cancel.cseq().seq, inv.cseq().seq);
    assert.equal(cancel.requestUri, inv.requestUri);
    carol.respond(cancel, 200);
    carol.respond(inv, 487, { toTag: carolTag });
    const terminated = await alice.nextResponse('INVITE', 300, 699);
    assert.equal(terminated.status, 487);
    alice.ackNon2xx(authed, terminated);
    // The proxy's client transaction ACKs carol's 487 itself (17.1.1.3), on the INVITE's branch.
    const ack = await carol.nextRequest('ACK');
    assert.equal(ack.topVia()?.branch, inv.topVia()?.branch);
    assert.equal(await carol.gets((m) => m.kind === 'request' && m.method === 'INVITE', 300), false, 'no INVITE retransmission after the 487');
  });

  test('two devices ring; the 200 of one CANCELs the other (16.7 step 10), the caller sees one 200 and no 487', async () => {
    const alice = await open('udp', '127.0.0.1');
    const deskphone = await open('udp', '127.0.0.1');
    const browser = await open('ws', '127.0.0.1');
    await register(alice, 'alice');
    await register(deskphone, 'dave');
    await register(browser, 'dave');
    const calling = alice.request(invite('alice', 'dave'), 'alice-secret');
    const [i1, i2] = await Promise.all([deskphone.nextRequest('INVITE'), browser.nextRequest('INVITE')]);
    assert.notEqual(i1.topVia()?.branch, i2.topVia()?.branch, 'one branch each');
    const tag1 = newTag();
    const tag2 = newTag();
    deskphone.respond(i1, 180, { toTag: tag1 });
    browser.respond(i2, 180, { toTag: tag2 });
    await alice.nextResponse('INVITE', 180, 180);
    deskphone.respond(i1, 200, { toTag: tag1, headers: [...i1.rawValues('record-route').map((v): [string, string] => ['Record-Route', v]), ['Contact', deskphone.contact('dave')]] });
    const cancel = await browser.nextRequest('CANCEL');
    assert.equal(cancel.topVia()?.branch, i2.topVia()?.branch);
    browser.respond(cancel, 200);
    browser.respond(i2, 487, { toTag: tag2 });
    assert.equal((await browser.nextRequest('ACK')).topVia()?.branch, i2.topVia()?.branch, 'the 487 is ACKed by the proxy');
    const { response: ok, spec } = await calling;
    assert.equal(ok.status, 200);
    assert.equal(ok.to().tag, tag1);
    assert.equal(await alice.gets((m) => m.kind === 'response' && m.status === 487, 300), false, 'the 487 of the cancelled branch stays with the proxy');
    alice.sendRequest({ method: 'ACK', uri: contactUri(ok), from: spec.from, to: spec.to, fromTag: spec.fromTag, toTag: tag1, callId: spec.callId, cseq: spec.cseq, routes: uacRouteSet(ok) });
    await deskphone.nextRequest('ACK');
    assert.equal(await deskphone.gets((m) => m.kind === 'request' && m.method === 'CANCEL', 200), false, 'the answering device is not cancelled');
  });

  test('the ACK of a 2xx addressed to the AOR goes to her bindings (16.5), not nowhere: the device that answered gets it', async () => {
    const alice = await open('udp', '127.0.0.1');
    const desk = await open('udp', '127.0.0.1');
    const mobile = await open('tcp', '::1');
    await register(alice, 'alice');
    await register(desk, 'erin');
    await register(mobile, 'erin');
    const calling = alice.request(invite('alice', 'erin'), 'alice-secret');
    const [i1, i2] = await Promise.all([desk.nextRequest('INVITE'), mobile.nextRequest('INVITE')]);
    const deskTag = newTag();
    const mobileTag = newTag();
    mobile.respond(i2, 180, { toTag: mobileTag });
    await alice.nextResponse('INVITE', 180, 180);
    desk.respond(i1, 200, { toTag: deskTag, headers: [['Contact', desk.contact('erin')]] });
    const cancel = await mobile.nextRequest('CANCEL');
    mobile.respond(cancel, 200);
    mobile.respond(i2, 487, { toTag: mobileTag });
    await mobile.nextRequest('ACK'); // the proxy's own, for the 487 (17.1.1.3)
    const { response: ok, spec } = await calling;
    assert.equal(ok.status, 200);

    // As SIPp's uac: the ACK goes to the Request-URI of the INVITE (the AOR), with no route set.
    const credentials = (spec.headers ?? []).filter((h) => /^Proxy-Authorization:/i.test(h));
    alice.sendRequest({ method: 'ACK', uri: spec.uri, from: spec.from, to: spec.to, fromTag: spec.fromTag, toTag: deskTag, callId: spec.callId,
      cseq: spec.cseq, headers: credentials });
    const ack = await desk.nextRequest('ACK');
    assert.equal(ack.requestUri, i1.requestUri, 'to the registered contact, as the INVITE');
    assert.equal(ack.to().tag, deskTag);
    assert.equal(ack.via().length, 2, 'through us');
    assert.equal(ack.maxForwards(), 69);
    assert.equal(ack.hasHeader('proxy-authorization'), false, 'our credentials are consumed (22.3)');
    // Without state we cannot tell which device answered: the other gets it too, and discards it
    // (its To tag names no dialog of its; an ACK is never answered, 17.2.1).
    const other = await mobile.nextRequest('ACK');
    assert.equal(other.to().tag, deskTag);
    assert.equal(other.requestUri, i2.requestUri);
  });
});
