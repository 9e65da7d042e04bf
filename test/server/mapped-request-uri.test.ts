// An IPv4-mapped IPv6 address in a Request-URI or Route (`[::ffff:127.0.0.1]`) is the IPv4 address
// it carries: one of ours when that one is, and never a foreign destination reached over IPv6 with a
// Via naming an IPv6 address the peer cannot use.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint } from '../helpers/sip-endpoint.js';
import { PresencePeer } from '../presence/presence-peer.js';

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

// A device that writes its contact as `[::ffff:127.0.0.1]` is at 127.0.0.1: one binding whichever
// way it writes it (RFC 3261 10.3 step 7, 19.1.4), and what the server builds from such a contact or
// Path (forwarded Request-URI, Route, OPTIONS probe, NOTIFY) names 127.0.0.1, never `::ffff:`.
describe('IPv4-mapped contacts and Paths (auth off, udp 127.0.0.1)', () => {
  let srv: RunningServer;
  let alice: SipEndpoint;
  const opened: Array<{ close(): void }> = [];
  const open = async (): Promise<SipEndpoint> => {
    const e = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    opened.push(e);
    return e;
  };
  const message = (to: string): void => {
    alice.sendRequest({
      method: 'MESSAGE', uri: `sip:${to}@example.com`, from: 'sip:alice@example.com', to: `sip:${to}@example.com`,
      fromTag: newTag(), callId: newCallId(), cseq: 1, body: 'hi', contentType: 'text/plain',
    });
  };

  before(async () => {
    srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0.2, auth: false, t1Ms: 40 });
    alice = await open();
  });
  after(async () => {
    for (const e of opened) e.close();
    await srv.stop();
  });

  test('one device, its contact as 127.0.0.1 then as [::ffff:127.0.0.1]: one binding, one MESSAGE', async () => {
    const dev = await open();
    const v4 = await dev.register('dup', undefined, { callId: newCallId(), contacts: [`<sip:dup@127.0.0.1:${dev.port}>`] });
    assert.equal(v4.status, 200);
    const mapped = await dev.register('dup', undefined, { callId: newCallId(), contacts: [`<sip:dup@[::ffff:127.0.0.1]:${dev.port}>`] });
    assert.equal(mapped.status, 200);
    assert.equal(mapped.headerValues('contact').length, 1, mapped.headerValues('contact').join(', '));
    assert.equal(srv.server.location.lookup('sip:dup@example.com').length, 1);
    message('dup');
    const m = await dev.nextRequest('MESSAGE');
    assert.equal(m.requestUri, `sip:dup@127.0.0.1:${dev.port}`);
    dev.respond(m, 200);
    assert.equal((await alice.finalResponse()).status, 200);
    assert.equal(await dev.gets((x) => x.method === 'MESSAGE', 0), false, 'a second fork of the same MESSAGE');
    // ctl ul rm with either spelling removes it (RFC 3261 19.1.4 equality).
    assert.equal(await srv.server.location.remove('sip:dup@example.com', `sip:dup@127.0.0.1:${dev.port}`), 1);
  });

  test('a mapped contact: the forwarded MESSAGE and the OPTIONS probe name 127.0.0.1', async () => {
    const dev = await open();
    assert.equal((await dev.register('am', undefined, { contacts: [`<sip:am@[::ffff:127.0.0.1]:${dev.port}>`] })).status, 200);
    message('am');
    const m = await dev.nextRequest('MESSAGE');
    assert.equal(m.requestUri, `sip:am@127.0.0.1:${dev.port}`);
    dev.respond(m, 200);
    assert.equal((await alice.finalResponse()).status, 200);
    const probe = await dev.nextRequest('OPTIONS', 5000);
    assert.equal(probe.requestUri, `sip:am@127.0.0.1:${dev.port}`);
    dev.respond(probe, 200);
    for (const r of [m, probe]) assert.doesNotMatch(r.toBuffer().toString(), /::ffff:/i);
  });

  test('a mapped Path entry: the MESSAGE goes to that proxy with Route <sip:127.0.0.1:PORT;lr>', async () => {
    const edge = await open();
    const path = `Path: <sip:[::ffff:127.0.0.1]:${edge.port};lr>`;
    assert.equal((await edge.register('pa', undefined, { contacts: ['<sip:pa@192.0.2.30:5060>'], headers: [path] })).status, 200);
    message('pa');
    const m = await edge.nextRequest('MESSAGE');
    assert.deepEqual(m.headerValues('route'), [`<sip:127.0.0.1:${edge.port};lr>`]);
    assert.equal(m.requestUri, 'sip:pa@192.0.2.30:5060');
    edge.respond(m, 200);
    assert.equal((await alice.finalResponse()).status, 200);
  });

  test('a SUBSCRIBE with a mapped Contact: the NOTIFY Request-URI names 127.0.0.1', async () => {
    const watcher = await PresencePeer.open('udp', '127.0.0.1', srv.port('udp'), 'w', 'example.com');
    opened.push(watcher);
    const { response } = await watcher.subscribe('sip:dup@example.com', { contact: `<sip:w@[::ffff:127.0.0.1]:${watcher.sip.port}>` });
    assert.ok((response.status ?? 0) < 300, `${response.status}`);
    const notify = await watcher.notify();
    assert.equal(notify.requestUri, `sip:w@127.0.0.1:${watcher.sip.port}`);
    assert.doesNotMatch(notify.toBuffer().toString(), /::ffff:/i);
  });
});
