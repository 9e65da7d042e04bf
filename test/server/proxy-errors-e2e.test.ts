// The answers the proxy makes up itself, and routing by Path, end to end (issue 4, gaps 3 and 6):
// 483 (Max-Forwards 0, RFC 3261 16.3 step 3), 482 (our own Via and hash coming back, 16.3 step 4),
// 430 (RFC 5626 5.3: an outbound flow whose connection is gone), the 1300-byte rule (RFC 3261 18.1.1:
// TCP to a UDP contact, UDP again when that TCP connection is refused, 513 when the datagram is too
// large for the socket), and Path (RFC 3327 5: requests for the binding go through the Path URI).
// Authentication is off here: these are routing answers, not policy.
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponse } from '../../src/sip/builder.js';
import { StreamFramer } from '../../src/sip/framing.js';
import type { SipMessage } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newBranch, newCallId, newTag, SipEndpoint, type RegisterOptions, type RequestSpec } from '../helpers/sip-endpoint.js';

const message = (from: string, to: string, body: string, extra: Partial<RequestSpec> = {}): RequestSpec => ({
  method: 'MESSAGE', uri: `sip:${to}@example.com`, from: `sip:${from}@example.com`, to: `sip:${to}@example.com`,
  fromTag: newTag(), callId: newCallId(), cseq: 1, body, contentType: 'text/plain', ...extra,
});

const isMessage = (m: SipMessage): boolean => m.kind === 'request' && m.method === 'MESSAGE';

/** A TCP listener on the UDP peer's own port, as a UA that takes both transports has (RFC 3261 18.1.1 needs one there). */
async function tcpTwin(port: number): Promise<{ server: Server; received: Promise<SipMessage> }> {
  const server = createServer();
  const received = new Promise<SipMessage>((resolve) => {
    server.on('connection', (sock: Socket) => {
      const framer = new StreamFramer();
      sock.on('error', () => {});
      sock.on('data', (chunk) => {
        for (const ev of framer.push(chunk)) {
          if (ev.type !== 'message') continue;
          const m = parseMessage(ev.data);
          if (m instanceof Error || m.kind !== 'request') continue;
          sock.write(createResponse(m, 200).toBuffer());
          resolve(m);
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, received };
}

describe('proxy answers and Path routing (auth off)', () => {
  let srv: RunningServer;
  const peers: SipEndpoint[] = [];
  const open = async (protocol: 'udp' | 'tcp', host = '127.0.0.1'): Promise<SipEndpoint> => {
    const p = await SipEndpoint.open(protocol, host, srv.port(protocol));
    peers.push(p);
    return p;
  };
  const register = async (p: SipEndpoint, user: string, opts: RegisterOptions = {}): Promise<void> => {
    const r = await p.register(user, undefined, opts);
    assert.equal(r.status, 200, `register ${user}: ${r.status} ${r.reason}`);
  };

  before(async () => {
    srv = await startServer({
      listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, t1Ms: 40, auth: false,
      maxMessageBody: 100_000, maxMessageSize: 200_000, messageRate: 0,
    });
  });
  after(async () => {
    for (const p of peers) p.close();
    await srv.stop();
  });

  test('483: Max-Forwards 0 is not forwarded (MESSAGE and INVITE); Max-Forwards 1 goes on as 0', async () => {
    const alice = await open('udp');
    const bob = await open('udp');
    await register(bob, 'bob');
    for (const method of ['MESSAGE', 'INVITE']) {
      const { response, spec } = await alice.request({ ...message('alice', 'bob', 'x'), method, maxForwards: 0, contact: true });
      assert.equal(response.status, 483, `${method}: ${response.status} ${response.reason}`);
      // RFC 3261 17.1.1.3: on the INVITE's branch, so our transaction absorbs it (an ACK matching none
      // would be taken for the end-to-end ACK of a 2xx and go on to bob's binding).
      if (method === 'INVITE') alice.ackNon2xx(spec, response);
    }
    assert.equal(await bob.gets((m) => m.kind === 'request' && m.method !== 'OPTIONS', 200), false, 'bob got nothing');
    const sent = alice.request(message('alice', 'bob', 'last hop', { maxForwards: 1 }));
    const got = await bob.nextRequest('MESSAGE');
    assert.equal(got.maxForwards(), 0);
    bob.respond(got, 200);
    assert.equal((await sent).response.status, 200);
  });

  test('482: the request coming back to us unchanged (our Via with its hash on it) is a loop', async () => {
    const alice = await open('udp');
    const bob = await open('udp');
    await register(bob, 'bob');
    const sent = alice.request(message('alice', 'bob', 'loop me'));
    const got = await bob.nextRequest('MESSAGE');
    // bob's side misroutes it back to the AOR, as a forwarder pointing at us would: same request, his Via on top.
    const back = got.clone();
    back.requestUri = 'sip:bob@example.com';
    back.setHeader('Max-Forwards', String((got.maxForwards() ?? 70) - 1));
    back.addHeader('Via', bob.via(newBranch()), 'first');
    bob.send(back.toBuffer());
    const loop = await bob.nextResponse('MESSAGE', 400, 699);
    assert.equal(loop.status, 482, `${loop.status} ${loop.reason}`);
    // (Retransmissions of the first copy, still unanswered, have two Vias; a forwarded loop would have four.)
    assert.equal(await bob.gets((m) => isMessage(m) && m.via().length > 2, 300), false, 'the looped copy was not forwarded again');
    bob.respond(got, 200);
    assert.equal((await sent).response.status, 200);
  });

  test('430: an outbound (RFC 5626) binding whose TCP connection is gone is not reopened', async () => {
    const alice = await open('udp');
    const carol = await open('tcp');
    const instance = '"<urn:uuid:00000000-0000-4000-8000-00000000ca01>"';
    const r = await carol.register('carol', undefined, {
      contacts: [`${carol.contact('carol')};reg-id=1;+sip.instance=${instance}`], headers: ['Supported: outbound'],
    });
    assert.equal(r.status, 200);
    assert.match(r.header('require') ?? '', /outbound/);
    carol.close();
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(srv.server.location.lookup('sip:carol@example.com').length, 1, 'the flow\'s binding stays');
    const spec = { ...message('alice', 'carol', ''), method: 'INVITE', contact: true };
    const { response } = await alice.request(spec);
    assert.equal(response.status, 430, `${response.status} ${response.reason}`);
    alice.ackNon2xx(spec, response);
  });

  test('RFC 3261 18.1.1: a 2000-byte MESSAGE for a UDP contact goes over TCP to the same address and port', async () => {
    const alice = await open('udp');
    const dave = await open('udp');
    await register(dave, 'dave');
    const twin = await tcpTwin(dave.port);
    try {
      const { response } = await alice.request(message('alice', 'dave', 'y'.repeat(2000)));
      assert.equal(response.status, 200);
      const got = await twin.received;
      assert.equal(got.body.length, 2000);
      assert.equal(got.via()[0]?.transport.toUpperCase(), 'TCP', 'our Via says TCP');
      assert.equal(await dave.gets(isMessage, 100), false, 'nothing over UDP');
    } finally {
      twin.server.close();
    }
  });

  test('RFC 3261 18.1.1: when that TCP connection is refused the request goes over UDP after all', async () => {
    const alice = await open('tcp');
    const erin = await open('udp');
    await register(erin, 'erin');
    const sent = alice.request(message('alice', 'erin', 'z'.repeat(3000)));
    const got = await erin.nextRequest('MESSAGE');
    assert.equal(got.body.length, 3000);
    assert.equal(got.via()[0]?.transport.toUpperCase(), 'UDP', 'our Via says UDP on the retry');
    erin.respond(got, 200);
    assert.equal((await sent).response.status, 200);
  });

  test('513: a MESSAGE larger than a UDP datagram for a UDP-only contact', async () => {
    const alice = await open('tcp');
    const frank = await open('udp');
    await register(frank, 'frank');
    const { response } = await alice.request(message('alice', 'frank', 'w'.repeat(70_000)));
    assert.equal(response.status, 513, `${response.status} ${response.reason}`);
    assert.equal(await frank.gets(isMessage, 100), false);
  });

  test('RFC 3327: a binding registered with Path is reached through the Path URI, with the Path as Route', async () => {
    const alice = await open('udp');
    const edge = await open('udp');
    const gina = await open('udp');
    const path = `<sip:${edge.sentBy};lr>`;
    await register(gina, 'gina', { headers: ['Supported: path', `Path: ${path}`] });
    const sent = alice.request(message('alice', 'gina', 'via the edge'));
    const got = await edge.nextRequest('MESSAGE');
    assert.deepEqual(got.rawValues('route'), [path], 'the Path is the route set (RFC 3327 5)');
    assert.equal(got.requestUri, `sip:gina@${gina.sentBy};transport=udp`, 'the Request-URI is the contact');
    edge.respond(got, 200);
    assert.equal((await sent).response.status, 200);
    assert.equal(await gina.gets(isMessage, 100), false, 'nothing went to the contact directly');
  });
});
