// MESSAGE through simplesip end to end (RFC 3428, RFC 3261 16): users registered over UDP/IPv4 and
// TCP/IPv6 with digest exchange messages; a user's two devices both get one; an absent user's
// messages are stored (202) and delivered in order with their original Date once she registers;
// failure paths (404, 403 relay, 413, 408 then stored, rate limit 503).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../helpers/server.js';
import { SipEndpoint } from '../helpers/sip-endpoint.js';
import { storedMessages } from '../helpers/stored-messages.js';
import { receiveMessage, sendMessage } from './message-helpers.js';

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];

describe('MESSAGE through the proxy (auth on)', () => {
  let srv: RunningServer;
  const clients: SipEndpoint[] = [];
  const open = async (protocol: 'udp' | 'tcp', host: string, port?: number): Promise<SipEndpoint> => {
    const c = await SipEndpoint.open(protocol, host, port ?? srv.port(protocol));
    clients.push(c);
    return c;
  };
  const register = async (c: SipEndpoint, user: string, expires = 300): Promise<void> => {
    const r = await c.register(user, `${user}-secret`, { expires });
    assert.equal(r.status, 200, `register ${user}: ${r.status} ${r.reason}`);
  };

  before(async () => {
    srv = await startServer({
      listen: ['udp:127.0.0.1:0', 'tcp:[::1]:0', 'udp:[::1]:0'], domains: ['example.com'], probeIntervalSeconds: 0, t1Ms: 40,
      messageRate: 5, messageBurst: 5, maxMessageBody: 2000,
    });
    for (const u of USERS) await srv.server.users.add(u, 'example.com', `${u}-secret`);
  });
  after(async () => {
    for (const c of clients) c.close();
    await srv.stop();
  });

  test('UDP IPv4 alice and TCP IPv6 bob: 407, then the MESSAGE reaches bob at his contact, his 200 reaches alice', async () => {
    const alice = await open('udp', '127.0.0.1');
    const bob = await open('tcp', '::1');
    await register(alice, 'alice');
    await register(bob, 'bob');
    const sent = sendMessage(alice, { from: 'alice', to: 'bob', body: 'hello bob \u00e9', password: 'alice-secret' });
    const got = await receiveMessage(bob);
    assert.equal((await sent).status, 200);
    assert.match(got.requestUri, /^sip:bob@\[::1\]:\d+;transport=tcp$/, 'Request-URI is the registered contact');
    assert.equal(got.body.toString('utf8'), 'hello bob \u00e9');
    assert.equal(got.header('content-type'), 'text/plain;charset=utf-8');
    assert.equal(got.maxForwards(), 69);
    assert.equal(got.via().length, 2, 'our Via on top of alice\'s');
    // And back: bob (TCP IPv6) to alice (UDP IPv4), the IMDN-style content type untouched.
    const back = sendMessage(bob, { from: 'bob', to: 'alice', body: '<imdn/>', contentType: 'message/imdn+xml', password: 'bob-secret' });
    const imdn = await receiveMessage(alice);
    assert.equal((await back).status, 200);
    assert.equal(imdn.header('content-type'), 'message/imdn+xml');
  });

  test('two devices: both get the message', async () => {
    const a = await open('udp', '127.0.0.1');
    const c1 = await open('udp', '127.0.0.1');
    const c2 = await open('tcp', '::1');
    await register(a, 'alice');
    await register(c1, 'carol');
    await register(c2, 'carol');
    const sent = sendMessage(a, { from: 'alice', to: 'carol', body: 'to both', password: 'alice-secret' });
    const [m1, m2] = await Promise.all([receiveMessage(c1), receiveMessage(c2)]);
    assert.equal((await sent).status, 200);
    assert.equal(m1.body.toString(), 'to both');
    assert.equal(m2.body.toString(), 'to both');
  });

  test('offline: 202, then on REGISTER delivered oldest first from the original sender with the original Date', async () => {
    const a = await open('udp', '127.0.0.1');
    await register(a, 'alice');
    const t0 = Date.now();
    for (const body of ['first', 'second', 'third']) {
      const r = await sendMessage(a, { from: 'alice', to: 'dave', body, password: 'alice-secret' });
      assert.equal(r.status, 202, `${r.status} ${r.reason}`);
    }
    assert.equal(srv.server.offlineMessages.list('sip:dave@example.com').length, 3);
    const { messagesDelivered, messagesRefused } = srv.server.stats;
    await new Promise((r) => setTimeout(r, 1100));
    const d = await open('udp', '127.0.0.1');
    await register(d, 'dave');
    const got = [];
    for (let i = 0; i < 3; i++) got.push(await receiveMessage(d));
    assert.deepEqual(got.map((m) => m.body.toString()), ['first', 'second', 'third']);
    for (const m of got) {
      assert.match(m.header('from') ?? '', /^<sip:alice@example\.com>;tag=/);
      const date = m.date();
      assert.ok(date !== undefined && Math.abs(date.getTime() - t0) < 1500 && Date.now() - date.getTime() >= 1000, `Date ${m.header('date')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(srv.server.offlineMessages.list('sip:dave@example.com').length, 0, 'removed after the 2xx');
    // The server sent these itself: dave's 200s carry only our Via and are its own answers (RFC 3261
    // 8.1.3), not responses to refuse forwarding (16.7 step 3).
    assert.equal(srv.server.stats.messagesDelivered - messagesDelivered, 3, 'counted as delivered');
    assert.equal(srv.server.stats.messagesRefused - messagesRefused, 0);
  });

  test('typing indications are relayed but never stored', async () => {
    const a = await open('udp', '127.0.0.1');
    await register(a, 'alice');
    const r = await sendMessage(a, {
      from: 'alice', to: 'frank', body: '<isComposing/>', contentType: 'application/im-iscomposing+xml', password: 'alice-secret',
    });
    assert.equal(r.status, 480);
    assert.equal(srv.server.offlineMessages.list('sip:frank@example.com').length, 0);
  });

  test('unknown user: 404', async () => {
    const a = await open('udp', '127.0.0.1');
    const r = await sendMessage(a, { from: 'alice', to: 'nobody', body: 'x', password: 'alice-secret' });
    assert.equal(r.status, 404);
  });

  test('relay to a foreign domain: 403 for a stranger, 407 for our user', async () => {
    const a = await open('udp', '127.0.0.1');
    const stranger = await sendMessage(a, { from: 'mallory', to: 'victim', domain: 'elsewhere.example', body: 'spam' });
    assert.equal(stranger.status, 403);
    assert.match(stranger.reason, /relaying/);
  });

  test('oversized body: 413', async () => {
    const a = await open('tcp', '::1');
    const r = await sendMessage(a, { from: 'alice', to: 'bob', body: 'x'.repeat(2500), password: 'alice-secret' });
    assert.equal(r.status, 413);
  });

  test('unreachable contact: 408 on the branch, so the message is stored (202)', async () => {
    const gone = await open('udp', '127.0.0.1');
    await register(gone, 'erin');
    gone.close();
    const a = await open('udp', '127.0.0.1');
    const r = await sendMessage(a, { from: 'alice', to: 'erin', body: 'are you there?', password: 'alice-secret' }, 8000);
    assert.equal(r.status, 202, `${r.status} ${r.reason}`);
    assert.deepEqual((await storedMessages(srv.server.offlineMessages, 'sip:erin@example.com')).map((m) => m.body.toString()), ['are you there?']);
  });

  test('rate limit: 503 with Retry-After beyond the burst', async () => {
    const a = await open('udp', '127.0.0.1');
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 8; i++) {
      const r = await sendMessage(a, { from: 'frank', to: 'nobody', body: `n${i}`, password: 'frank-secret' });
      statuses.push(r.status ?? 0);
      if (r.status === 503) retryAfter = r.header('retry-after');
    }
    assert.ok(statuses.includes(503), statuses.join(','));
    assert.match(retryAfter ?? '', /^\d+$/);
  });

  test('rate limit for senders nobody authenticated: counted by source address, not by a From they can change at will', async () => {
    // From another domain, so no challenge: each MESSAGE claims a new sender. Keyed on From, every
    // one got a fresh allowance and a script could fill any mailbox at full speed (found by an audit).
    const stranger = await open('udp', '127.0.0.1');
    await srv.server.users.add('grace', 'example.com', 'grace-secret'); // never registered: stored at once
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const { response } = await stranger.request({
        method: 'MESSAGE', uri: 'sip:grace@example.com', from: `sip:spam${i}@elsewhere.example`, to: 'sip:grace@example.com',
        fromTag: `t${i}`, callId: `spam-${i}-${Date.now()}`, cseq: 1, body: `spam ${i}`, contentType: 'text/plain',
      });
      statuses.push(response.status ?? 0);
    }
    // One bucket for 127.0.0.1 (burst 5), which earlier strangers in this suite may have drawn on too.
    const stored = statuses.filter((s) => s === 202).length;
    assert.ok(stored <= 5, statuses.join(','));
    assert.deepEqual(statuses.slice(5), [503, 503, 503], statuses.join(','));
    assert.equal(srv.server.offlineMessages.list('sip:grace@example.com').length, stored);
  });
});
