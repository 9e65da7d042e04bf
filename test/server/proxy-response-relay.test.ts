// RFC 3261 16.7 steps 3 and 9, end to end: a response relayed by the proxy reaches the caller without
// the proxy's Via and with every other Via exactly as the callee wrote it, whatever the form: our
// Via sharing a line with the next one, the compact form `v:`, a quoted comma in a parameter, and a
// response over UDP without Content-Length relayed to a TCP caller (which needs one, RFC 3261 18.3).
// A response whose only Via is ours is not forwarded at all (16.7 step 3): the caller gets our 502.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipMessage } from '../../src/sip/message.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint, type RequestSpec } from '../helpers/sip-endpoint.js';

const message = (body: string): RequestSpec => ({
  method: 'MESSAGE', uri: 'sip:bob@example.com', from: 'sip:alice@example.com', to: 'sip:bob@example.com',
  fromTag: newTag(), callId: newCallId(), cseq: 1, body, contentType: 'text/plain',
});

/** bob's 200 (or `status`) to `req` as text, with the Via lines given and the other headers copied. */
function answer(req: SipMessage, viaLines: string[], contentLength = true, extra: string[] = [], status = '200 OK'): string {
  return [
    `SIP/2.0 ${status}`,
    ...viaLines,
    `From: ${req.header('from')}`,
    `To: ${req.header('to')};tag=b1`,
    `Call-ID: ${req.callId()}`,
    `CSeq: ${req.header('cseq')}`,
    ...extra,
    ...(contentLength ? ['Content-Length: 0'] : []),
    '', '',
  ].join('\r\n');
}

describe('relayed responses keep the Via list below ours (RFC 3261 16.7)', () => {
  let srv: RunningServer;
  const peers: SipEndpoint[] = [];
  let bob: SipEndpoint;
  const open = async (protocol: 'udp' | 'tcp'): Promise<SipEndpoint> => {
    const p = await SipEndpoint.open(protocol, '127.0.0.1', srv.port(protocol));
    peers.push(p);
    return p;
  };

  before(async () => {
    srv = await startServer({
      listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, auth: false, messageRate: 0,
    });
    bob = await open('udp');
    const r = await bob.register('bob', undefined);
    assert.equal(r.status, 200);
  });
  after(async () => {
    for (const p of peers) p.close();
    await srv.stop();
  });

  /** alice sends a MESSAGE, bob answers with `viaLines(ours, hers)`; returns the Via values alice got, one per line. */
  async function relay(protocol: 'udp' | 'tcp', viaLines: (ours: string, hers: string) => string[], contentLength = true,
    extra: string[] = []): Promise<{ got: SipMessage; hers: string; response: SipMessage }> {
    const alice = await open(protocol);
    const sent = alice.request(message('hi'));
    const got = await bob.nextRequest('MESSAGE');
    const [ours, hers] = got.rawValues('via');
    assert.equal(got.rawValues('via').length, 2);
    bob.send(answer(got, viaLines(ours, hers), contentLength, extra));
    const { response } = await sent;
    assert.equal(response.status, 200);
    return { got, hers, response };
  }

  test('our Via on a line of its own goes; the caller\'s stays as written', async () => {
    const { hers, response } = await relay('udp', (ours, hers) => [`Via: ${ours}`, `Via: ${hers}`]);
    assert.deepEqual(response.rawValues('via'), [hers]);
  });

  test('our Via sharing a line with the caller\'s: only the first value goes', async () => {
    const { hers, response } = await relay('udp', (ours, hers) => [`Via: ${ours} ,  ${hers}`]);
    assert.deepEqual(response.rawValues('via'), [hers]);
  });

  test('compact form: v: lines, and a further value after the caller\'s on her line', async () => {
    const { hers, response } = await relay('udp', (ours, hers) => [`v: ${ours}`, `v: ${hers}, SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKx`]);
    assert.deepEqual(response.rawValues('via'), [`${hers}, SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKx`]);
    assert.deepEqual(response.via().map((v) => v.host), ['127.0.0.1', '192.0.2.9']);
    // Forwarded as it came (16.7 step 9): the compact name too.
    assert.deepEqual(response.headerFields().filter((f) => f.name === 'via').map((f) => f.rawName), ['v']);
  });

  test('a comma inside a quoted parameter of our Via does not end it', async () => {
    const { hers, response } = await relay('udp', (ours, hers) => [`Via: ${ours};x="a, b", ${hers}`]);
    assert.deepEqual(response.rawValues('via'), [hers]);
  });

  test('a folded Via and a response without Content-Length still reach a TCP caller, our Via removed', async () => {
    const folded = await relay('tcp', (ours, hers) => [`Via: ${ours},`, ` ${hers}`]);
    assert.deepEqual(folded.response.rawValues('via'), [folded.hers]);
    const bare = await relay('tcp', (ours, hers) => [`Via: ${ours}`, `Via: ${hers}`], false);
    assert.deepEqual(bare.response.rawValues('via'), [bare.hers]);
    assert.equal(bare.response.contentLength(), 0);
  });

  test('the other headers go on as the callee wrote them, to a TCP caller too', async () => {
    const extra = ['X-Note: kept  as is', 'l: 0'];
    const { response } = await relay('tcp', (ours, hers) => [`Via: ${ours}`, `Via: ${hers}`], false, extra);
    assert.equal(response.header('x-note'), 'kept  as is');
    assert.equal(response.contentLength(), 0);
  });

  test('a response with only our Via is not forwarded (16.7 step 3): the caller gets our 502 with her Via, bob his ACK', async () => {
    const alice = await open('udp');
    const spec: RequestSpec = {
      method: 'INVITE', uri: 'sip:bob@example.com', from: 'sip:alice@example.com', to: 'sip:bob@example.com',
      fromTag: newTag(), callId: newCallId(), cseq: 1, contact: true, body: 'v=0\r\n', contentType: 'application/sdp',
    };
    const calling = alice.request(spec);
    const inv = await bob.nextRequest('INVITE');
    const [ours, hers] = inv.rawValues('via');
    // bob keeps the proxy's Via and drops alice's: nothing in these answers says where they go next.
    bob.send(answer(inv, [`Via: ${ours}`], true, [], '180 Ringing'));
    bob.send(answer(inv, [`Via: ${ours}`], true, [], '486 Busy Here'));
    const { response } = await calling;
    assert.equal(response.status, 502);
    assert.match(response.reason, /^Bad Gateway/);
    assert.deepEqual(response.rawValues('via'), [hers], "our own answer, with alice's Via");
    assert.equal(response.to().tag !== undefined, true);
    // The 180 came to the proxy before the 486, so it would be in alice's inbox by now.
    assert.equal(await alice.gets((m) => m.kind === 'response' && m.status !== 502, 0), false, 'neither the 180 nor the 486 reached alice');
    // The proxy's INVITE client transaction still ACKs bob's 486 itself (17.1.1.3).
    const ack = await bob.nextRequest('ACK');
    assert.equal(ack.topVia()?.branch, inv.topVia()?.branch);
    alice.ackNon2xx(spec, response);
  });

  test('a MESSAGE 200 with only our Via: the sender gets 502, not a Via-less 200', async () => {
    const alice = await open('tcp');
    const sent = alice.request(message('hello'));
    const got = await bob.nextRequest('MESSAGE');
    const [ours, hers] = got.rawValues('via');
    bob.send(answer(got, [`Via: ${ours}`]));
    const { response } = await sent;
    assert.equal(response.status, 502);
    assert.deepEqual(response.rawValues('via'), [hers]);
  });

  test('forked: the real answer of another device beats the branch whose answer had only our Via', async () => {
    const desk = await open('udp');
    const mobile = await open('udp');
    assert.equal((await desk.register('carol', undefined)).status, 200);
    assert.equal((await mobile.register('carol', undefined)).status, 200);
    const alice = await open('udp');
    const sent = alice.request({ ...message('to both'), uri: 'sip:carol@example.com', to: 'sip:carol@example.com' });
    const [d, m] = await Promise.all([desk.nextRequest('MESSAGE'), mobile.nextRequest('MESSAGE')]);
    desk.send(answer(d, [`Via: ${d.rawValues('via')[0]}`]));
    mobile.respond(m, 486);
    const { response } = await sent;
    assert.equal(response.status, 486);
    assert.deepEqual(response.rawValues('via'), m.rawValues('via').slice(1));
  });
});
