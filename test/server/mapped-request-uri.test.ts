// An IPv4-mapped IPv6 address in a Request-URI or Route (`[::ffff:127.0.0.1]`) is the IPv4 address
// it carries: one of ours when that one is, and never a foreign destination reached over IPv6 with a
// Via naming an IPv6 address the peer cannot use.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint } from '../helpers/sip-endpoint.js';

describe('IPv4-mapped hosts in what we are asked to route (auth off, udp:*)', () => {
  let srv: RunningServer;
  let alice: SipEndpoint;
  let bob: SipEndpoint;

  before(async () => {
    srv = await startServer({ listen: ['udp:*:0'], domains: ['example.com'], probeIntervalSeconds: 0, auth: false, t1Ms: 40 });
    alice = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    bob = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    assert.equal((await bob.register('bob', undefined, { domain: '127.0.0.1' })).status, 200);
  });
  after(async () => {
    alice.close();
    bob.close();
    await srv.stop();
  });

  for (const [what, uri, routes] of [
    ['Request-URI', 'sip:bob@[::ffff:127.0.0.1]', []],
    ['preloaded Route', 'sip:bob@127.0.0.1', () => [`<sip:[::ffff:127.0.0.1]:${srv.port('udp')};lr>`]],
  ] as Array<[string, string, string[] | (() => string[])]>) {
    test(`${what} [::ffff:127.0.0.1]: ours, so bob gets the MESSAGE, with no IPv6 Via and no ::ffff:`, async () => {
      alice.sendRequest({
        method: 'MESSAGE', uri, from: 'sip:alice@127.0.0.1', to: 'sip:bob@127.0.0.1', fromTag: newTag(), callId: newCallId(), cseq: 1,
        routes: typeof routes === 'function' ? routes() : routes, body: 'hi', contentType: 'text/plain',
      });
      const m = await bob.nextRequest('MESSAGE');
      assert.match(m.topVia()?.host ?? '', /^127\.0\.0\.1$/);
      assert.equal(m.hasHeader('route'), false, 'our own Route entry was consumed');
      bob.respond(m, 200);
      assert.equal((await alice.finalResponse()).status, 200);
    });
  }

  test('reason phrases and Warning show a mapped host as its IPv4 address, IPv6 in brackets', async () => {
    // REGISTER for a domain we do not serve: 404 naming the AOR (RFC 3261 10.3 step 1).
    for (const [host, shown] of [['[::ffff:192.0.2.1]', '192.0.2.1'], ['[2001:DB8::5]', '[2001:db8::5]']]) {
      alice.send(alice.requestText({
        method: 'REGISTER', uri: 'sip:127.0.0.1', from: `sip:x@${host}`, to: `sip:x@${host}`, fromTag: newTag(), callId: newCallId(), cseq: 1,
        headers: [`Contact: <sip:x@127.0.0.1:${alice.port}>`],
      }));
      const r = await alice.finalResponse();
      assert.equal(r.status, 404);
      assert.equal(r.reason, `Not Found (sip:x@${shown} is not served here)`);
    }
    // RFC 5630 3.1.3: a SIPS request for bob, registered over UDP only, gets 480 and Warning 380 <hostport>.
    alice.sendRequest({
      method: 'MESSAGE', uri: 'sips:bob@[::ffff:127.0.0.1]', from: 'sip:alice@127.0.0.1', to: 'sips:bob@[::ffff:127.0.0.1]',
      fromTag: newTag(), callId: newCallId(), cseq: 1, body: 'x', contentType: 'text/plain',
    });
    const r = await alice.finalResponse();
    assert.equal(r.status, 480);
    assert.equal(r.header('warning'), '380 127.0.0.1 "SIPS Not Allowed"');
  });
});

describe('an IPv4-mapped AOR host with digest authentication on', () => {
  let srv: RunningServer;
  let dave: SipEndpoint;

  before(async () => {
    srv = await startServer({ listen: ['udp:*:0'], probeIntervalSeconds: 0, t1Ms: 40 });
    await srv.server.users.add('dave', '127.0.0.1', 'dave-secret');
    dave = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
  });
  after(async () => {
    dave.close();
    await srv.stop();
  });

  test('REGISTER for sip:dave@[::ffff:127.0.0.1] is challenged in realm "127.0.0.1" and succeeds', async () => {
    // RFC 3261 22.1: the realm is the AOR's domain, here the IPv4 address the mapped host carries.
    const challenge = await dave.register('dave', undefined, { domain: '[::ffff:127.0.0.1]' });
    assert.equal(challenge.status, 401);
    assert.match(challenge.header('www-authenticate') ?? '', /realm="127\.0\.0\.1"/);
    const ok = await dave.register('dave', 'dave-secret', { domain: '[::ffff:127.0.0.1]' });
    assert.equal(ok.status, 200);
  });
});
