// SIPS (RFC 3261 26.2.2, RFC 5630): a request for sips:bob@... reaches only bob's devices registered
// over TLS, is refused with 480 and Warning 380 when he has none (and then never stored), and the
// Record-Route of a SIPS dialog is a SIPS URI (RFC 3261 16.6 step 4).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestCertificate, type TestCertificate } from '../helpers/tls-cert.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint, uasRouteSet, type EndpointProtocol } from '../helpers/sip-endpoint.js';

describe('SIPS requests (auth off)', () => {
  let srv: RunningServer;
  let cert: TestCertificate;
  const peers: SipEndpoint[] = [];
  const open = async (protocol: EndpointProtocol): Promise<SipEndpoint> => {
    const p = await SipEndpoint.open(protocol, '127.0.0.1', srv.port(protocol), cert.cert);
    peers.push(p);
    return p;
  };
  const message = (to: string): Parameters<SipEndpoint['request']>[0] => ({
    method: 'MESSAGE', uri: to, from: 'sip:alice@example.com', to, fromTag: newTag(), callId: newCallId(), cseq: 1,
    contentType: 'text/plain', body: 'confidential',
  });

  before(async () => {
    cert = makeTestCertificate();
    srv = await startServer({
      listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0', 'tls:127.0.0.1:0'], tlsCert: cert.certFile, tlsKey: cert.keyFile,
      domains: ['example.com'], probeIntervalSeconds: 0, auth: false, t1Ms: 40,
    });
  });
  after(async () => {
    for (const p of peers) p.close();
    await srv.stop();
    cert.remove();
  });

  test('a SIPS MESSAGE to a user registered over plain TCP only: 480 with Warning 380, not stored; a SIP one is delivered', async () => {
    const bob = await open('tcp');
    const user = `b${newTag()}`;
    assert.equal((await bob.register(user)).status, 200);
    const alice = await open('udp');
    const { response } = await alice.request(message(`sips:${user}@example.com`));
    assert.equal(response.status, 480);
    assert.match(response.reason, /registered over TLS/);
    assert.match(response.header('warning') ?? '', /^380 example\.com "SIPS Not Allowed"$/);
    assert.equal(srv.server.offlineMessages.list(`sip:${user}@example.com`).length, 0, 'a SIPS message is not stored');
    assert.equal(await bob.gets((m) => m.method === 'MESSAGE', 300), false, 'nothing went over TCP');

    const plain = alice.request(message(`sip:${user}@example.com`));
    bob.respond(await bob.nextRequest('MESSAGE'), 200);
    assert.equal((await plain).response.status, 200);
  });

  test('a SIPS MESSAGE to a user with no device at all is refused, not stored', async () => {
    const alice = await open('udp');
    const user = `n${newTag()}`;
    await srv.server.users.add(user, 'example.com', 'secret');
    const { response } = await alice.request(message(`sips:${user}@example.com`));
    assert.equal(response.status, 480);
    assert.match(response.header('warning') ?? '', /^380 /);
    assert.equal(srv.server.offlineMessages.list(`sip:${user}@example.com`).length, 0);
  });

  test('a SIPS MESSAGE to a user with a TLS and a TCP device goes to the TLS one only', async () => {
    const user = `c${newTag()}`;
    const overTcp = await open('tcp');
    const overTls = await open('tls');
    assert.equal((await overTcp.register(user)).status, 200);
    assert.equal((await overTls.register(user)).status, 200);
    const alice = await open('udp');
    const pending = alice.request(message(`sips:${user}@example.com`));
    const got = await overTls.nextRequest('MESSAGE');
    assert.equal(got.body.toString(), 'confidential');
    overTls.respond(got, 200);
    assert.equal((await pending).response.status, 200);
    assert.equal(await overTcp.gets((m) => m.method === 'MESSAGE', 300), false);
  });

  for (const callerProtocol of ['tls', 'udp'] as const) {
    test(`an INVITE to sips: from a ${callerProtocol} caller: the TLS side's Record-Route is a SIPS URI`, async () => {
      const user = `d${newTag()}`;
      const callee = await open('tls');
      assert.equal((await callee.register(user)).status, 200);
      const caller = await open(callerProtocol);
      const invite = {
        method: 'INVITE', uri: `sips:${user}@example.com`, from: 'sip:alice@example.com', to: `sips:${user}@example.com`,
        fromTag: newTag(), callId: newCallId(), cseq: 1, contact: true,
      };
      caller.sendRequest(invite);
      const inv = await callee.nextRequest('INVITE');
      const tls = srv.port('tls');
      const routes = uasRouteSet(inv).map((r) => r.replace(/;ss-dlg=[\w-]+/, ''));
      // RFC 3261 16.6 step 4; RFC 5630 3.1.2: sips: instead of the deprecated transport=tls.
      assert.deepEqual(routes, callerProtocol === 'tls'
        ? [`<sips:127.0.0.1:${tls};lr>`]
        : [`<sips:127.0.0.1:${tls};lr>`, `<sip:127.0.0.1:${srv.port('udp')};lr>`]);
      callee.respond(inv, 486, { toTag: newTag() });
      const busy = await caller.nextResponse('INVITE', 486, 486);
      caller.ackNon2xx(invite, busy);
    });
  }
});
