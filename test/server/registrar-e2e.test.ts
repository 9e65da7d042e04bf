// The registrar end to end: a server on UDP and TCP, IPv4 and IPv6, raw clients with digest answers.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipMessage } from '../../src/sip/message.js';
import { toBindingView } from '../../src/control/binding-view.js';
import { formatBinding } from '../../src/cli/ctl-output.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { SipEndpoint } from '../helpers/sip-endpoint.js';

const ALICE = 'sip:alice@example.com';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function contacts(r: SipMessage): string[] {
  return r.headerValues('contact');
}

/** Answers every OPTIONS probe `client` receives with `status` while `answering.on`. */
function answerProbes(client: SipEndpoint, status: string, answering: { on: boolean }, check: (probe: SipMessage) => void = () => {}): void {
  void (async () => {
    while (answering.on) {
      const probe = await client.next('request', 5000).catch(() => undefined);
      if (!probe) continue;
      assert.equal(probe.method, 'OPTIONS');
      check(probe);
      const vias = probe.headerFields().filter((f) => f.name === 'via').map((f) => `Via: ${f.value}`);
      client.send([
        `SIP/2.0 ${status}`, ...vias, `From: ${probe.header('from')}`, `To: ${probe.header('to')};tag=x`,
        `Call-ID: ${probe.callId()}`, `CSeq: ${probe.header('cseq')}`, 'Content-Length: 0', '', '',
      ].join('\r\n'));
    }
  })();
}

async function until(cond: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
  return Date.now() - start;
}

const LISTEN = ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0', 'udp:[::1]:0', 'tcp:[::1]:0'];

describe('registrar end to end, auth on', () => {
  let srv: RunningServer;
  const clients: SipEndpoint[] = [];
  const open = async (protocol: 'udp' | 'tcp' = 'udp', host = '127.0.0.1'): Promise<SipEndpoint> => {
    const port = srv.listeners.find((l) => l.protocol === protocol && l.address === host)?.port as number;
    const c = await SipEndpoint.open(protocol, host, port);
    clients.push(c);
    return c;
  };
  before(async () => {
    srv = await startServer({ listen: LISTEN, domains: ['example.com'], probeIntervalSeconds: 0, maxContacts: 3 });
    for (const user of ['alice', 'bob', 'carol', 'dave']) await srv.server.users.add(user, 'example.com', `${user}-secret`);
  });
  after(async () => {
    for (const c of clients) c.close();
    await srv.stop();
  });

  for (const protocol of ['udp', 'tcp'] as const) {
    for (const host of ['127.0.0.1', '::1']) {
      test(`${protocol} ${host}: 401, register, refresh, remove`, async () => {
        const c = await open(protocol, host);
        const challenged = await c.register('alice', undefined, { expires: 300 });
        assert.equal(challenged.status, 401);
        assert.ok(challenged.wwwAuthenticate().length > 0);
        const ok = await c.register('alice', 'alice-secret', { expires: 300 });
        assert.equal(ok.status, 200, ok.reason);
        const mine = `<sip:alice@${c.sentBy};transport=${protocol}>;expires=300`;
        assert.ok(contacts(ok).includes(mine), contacts(ok).join(' | '));
        assert.ok(ok.header('date'));
        const b = srv.server.location.lookup(ALICE).find((x) => x.received.port === c.port);
        assert.ok(b);
        assert.deepEqual(b.received, { protocol, address: host, port: c.port });
        if (protocol === 'tcp') assert.ok(b.connectionId);

        const refreshed = await c.register('alice', 'alice-secret', { expires: 600 });
        assert.equal(refreshed.status, 200);
        assert.ok(contacts(refreshed).includes(mine.replace('expires=300', 'expires=600')));
        assert.equal(srv.server.location.lookup(ALICE).filter((x) => x.received.port === c.port).length, 1);

        const removed = await c.register('alice', 'alice-secret', { expires: 0 });
        assert.equal(removed.status, 200);
        assert.equal(srv.server.location.lookup(ALICE).filter((x) => x.received.port === c.port).length, 0);
      });
    }
  }

  test('a Contact that is the source written another way is not flagged nat: [0:0:0:0:0:0:0:1] from ::1, [::ffff:127.0.0.1] from 127.0.0.1', async () => {
    for (const [protocol, host, written] of [
      ['udp', '::1', '[0:0:0:0:0:0:0:1]'], ['tcp', '::1', '[0:0:0:0:0:0:0:1]'],
      ['udp', '127.0.0.1', '[::ffff:127.0.0.1]'], ['tcp', '127.0.0.1', '[::ffff:127.0.0.1]'],
    ] as const) {
      const c = await open(protocol, host);
      const contact = `<sip:bob@${written}:${c.port};transport=${protocol}>`;
      assert.equal((await c.register('bob', 'bob-secret', { contacts: [contact], expires: 300 })).status, 200);
      // What `ctl ul show` prints as Flags; read before the binding is removed again.
      const flags = srv.server.location.lookup('sip:bob@example.com').find((b) => b.contact.includes(`:${c.port};`))?.flags;
      assert.equal((await c.register('bob', 'bob-secret', { contacts: [contact], expires: 0 })).status, 200);
      assert.deepEqual(flags, [], `${protocol} from ${host}, ${contact}`);
    }
  });

  test('Contact: * with Expires: 0 removes every binding', async () => {
    const c = await open();
    const ok = await c.register('bob', 'bob-secret', { contacts: ['<sip:bob@192.0.2.1>', '<sip:bob@192.0.2.2>'], expires: 300 });
    assert.equal(ok.status, 200);
    assert.equal(contacts(ok).length, 2);
    const star = await c.register('bob', 'bob-secret', { contacts: ['*'], expires: 0 });
    assert.equal(star.status, 200);
    assert.deepEqual(contacts(star), []);
    assert.equal(srv.server.location.lookup('sip:bob@example.com').length, 0);
  });

  test('423 with Min-Expires below min, clamp above max', async () => {
    const c = await open();
    const brief = await c.register('carol', 'carol-secret', { expires: 10 });
    assert.equal(brief.status, 423);
    assert.equal(brief.header('min-expires'), '60');
    const long = await c.register('carol', 'carol-secret', { expires: 999999 });
    assert.equal(long.status, 200);
    assert.match(contacts(long)[0], /;expires=3600$/);
    await c.register('carol', 'carol-secret', { expires: 0 });
  });

  test('same Call-ID with a CSeq not higher: 400, binding unchanged', async () => {
    const c = await open();
    const ok = await c.register('carol', 'carol-secret', { cseq: 100, expires: 300 });
    assert.equal(ok.status, 200);
    // The authenticated attempt used CSeq 101; 101 again is not higher.
    const stale = await c.register('carol', 'carol-secret', { cseq: 100, expires: 0 });
    assert.equal(stale.status, 400);
    assert.match(stale.reason ?? '', /CSeq 101 is not higher than 101/);
    assert.equal(srv.server.location.lookup('sip:carol@example.com').length, 1);
    await c.register('carol', 'carol-secret', { cseq: 200, expires: 0 });
  });

  test('+sip.instance and reg-id: a new port and Call-ID replace the binding; another reg-id adds a flow', async () => {
    const instance = '+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"';
    const first = await open();
    assert.equal((await first.register('dave', 'dave-secret', { contacts: [`<sip:dave@${first.sentBy}>;${instance};reg-id=1`], expires: 300 })).status, 200);
    first.close();
    const second = await open();
    const r = await second.register('dave', 'dave-secret', { contacts: [`<sip:dave@${second.sentBy}>;${instance};reg-id=1`], expires: 300 });
    assert.equal(r.status, 200);
    assert.deepEqual(srv.server.location.lookup('sip:dave@example.com').map((b) => b.received.port), [second.port]);
    const flow2 = await second.register('dave', 'dave-secret', { contacts: [`<sip:dave@${second.sentBy};ob>;${instance};reg-id=2`], expires: 300 });
    assert.equal(contacts(flow2).length, 2);
    await second.register('dave', 'dave-secret', { contacts: ['*'], expires: 0 });
  });

  test('beyond max contacts: 403 with the reason', async () => {
    const c = await open();
    const four = ['<sip:bob@192.0.2.1>', '<sip:bob@192.0.2.2>', '<sip:bob@192.0.2.3>', '<sip:bob@192.0.2.4>'];
    const r = await c.register('bob', 'bob-secret', { contacts: four, expires: 300 });
    assert.equal(r.status, 403);
    assert.match(r.reason ?? '', /too many contacts: at most 3/);
    assert.equal(srv.server.location.lookup('sip:bob@example.com').length, 0);
  });

  test('a To AOR of a domain we do not serve: 404, without a challenge', async () => {
    const c = await open();
    c.send(c.registerText('alice').replace(/^To: <sip:alice@example.com>/m, 'To: <sip:alice@elsewhere.example.net>'));
    const r = await c.finalResponse();
    assert.equal(r.status, 404);
    assert.match(r.reason ?? '', /elsewhere\.example\.net is not served here/);
    // README: every REGISTER refusal names its reason in P-Registrar-Error, whoever refused it.
    assert.match(r.header('p-registrar-error') ?? '', /elsewhere\.example\.net is not served here/);
  });

  test("someone else's AOR: 403", async () => {
    const c = await open();
    const r = await c.register('alice', 'bob-secret', { expires: 300, authUser: 'bob' });
    assert.equal(r.status, 403);
    assert.match(r.reason ?? '', /bob may not act for sip:alice@example.com/);
    assert.equal(r.header('p-registrar-error'), 'bob may not act for sip:alice@example.com');
  });

  test('unknown users and wrong passwords get the same challenge', async () => {
    const c = await open();
    const wrong = await c.register('alice', 'not-her-password', { expires: 300 });
    const unknown = await c.register('mallory', 'whatever', { expires: 300 });
    for (const r of [wrong, unknown]) {
      assert.equal(r.status, 401);
      assert.deepEqual(r.wwwAuthenticate().map((ch) => ch.params.get('algorithm')), ['MD5', 'SHA-256']);
    }
    assert.ok(srv.server.stats.authFailures >= 2);
  });

  test("our users' MESSAGE is challenged with 407 (proxy role)", async () => {
    const c = await open();
    c.send([
      'MESSAGE sip:bob@example.com SIP/2.0',
      `Via: SIP/2.0/UDP ${c.sentBy};branch=z9hG4bKmsg${Date.now()};rport`,
      'Max-Forwards: 70', 'From: <sip:alice@example.com>;tag=m1', 'To: <sip:bob@example.com>',
      'Call-ID: msg-1', 'CSeq: 1 MESSAGE', 'Content-Type: text/plain', 'Content-Length: 2', '', 'hi',
    ].join('\r\n'));
    const r = await c.finalResponse();
    assert.equal(r.status, 407);
    assert.ok(r.proxyAuthenticate().length > 0);
  });

  test('stats count accepted and rejected registrations', () => {
    assert.ok(srv.server.stats.registrationsAccepted > 0);
    assert.ok(srv.server.stats.registrationsRejected > 0);
  });

  test('a REGISTER refused for its syntax (400) counts as rejected too', async () => {
    const c = await open();
    const before = srv.server.stats.registrationsRejected;
    for (const [i, bad] of ['Expires: -1', 'CSeq: 99999999999 REGISTER'].entries()) {
      c.send([
        'REGISTER sip:example.com SIP/2.0', `Via: SIP/2.0/UDP ${c.sentBy};branch=z9hG4bKbad${i}${Date.now()};rport`,
        'Max-Forwards: 70', 'From: <sip:alice@example.com>;tag=b1', 'To: <sip:alice@example.com>', `Call-ID: bad-${i}`,
        ...(bad.startsWith('CSeq') ? [] : ['CSeq: 1 REGISTER']), bad, `Contact: <sip:alice@${c.sentBy}>`, 'Content-Length: 0', '', '',
      ].join('\r\n'));
      assert.equal((await c.finalResponse()).status, 400, bad);
    }
    assert.equal(srv.server.stats.registrationsRejected, before + 2);
  });
});

describe('registrar end to end, bindings that go away', () => {
  test('with --auth off any user of a served domain may register', async () => {
    const srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], auth: false, probeIntervalSeconds: 0 });
    const c = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    try {
      assert.equal((await c.register('nobody', undefined, { expires: 300 })).status, 200);
      assert.equal(srv.server.location.lookup('sip:nobody@example.com').length, 1);
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('browser tab reloads: flows whose connection closed make room for the next tab instead of a 403, and show flow-closed', async () => {
    // JsSIP and SIP.js register an RFC 5626 flow with a new +sip.instance per page load and vanish
    // without un-REGISTER when the tab reloads: the dead flows used to hold every place for 600 s.
    const srv = await startServer({ listen: ['ws:127.0.0.1:0'], domains: ['example.com'], auth: false, probeIntervalSeconds: 0, maxContacts: 3 });
    try {
      for (let i = 1; i <= 4; i++) {
        const tab = await SipEndpoint.open('ws', '127.0.0.1', srv.port('ws'));
        const r = await tab.register('alice', undefined, {
          contacts: [`${tab.contact('alice')};+sip.instance="<urn:uuid:00000000-0000-4000-8000-00000000000${i}>";reg-id=1`],
          headers: ['Supported: outbound'], expires: 600,
        });
        assert.equal(r.status, 200, `tab ${i}: ${r.status} ${r.reason}`);
        const closed = once(srv.server.transport, 'connection-closed');
        tab.close();
        await closed;
      }
      const bindings = srv.server.location.lookup(ALICE);
      assert.deepEqual(bindings.map((b) => b.instance?.slice(-2, -1)).sort(), ['2', '3', '4'], 'the oldest flow made room');
      const views = bindings.map((b) => toBindingView(b, Date.now()));
      for (const v of views) {
        assert.deepEqual(v.flags, ['nat', 'outbound', 'flow-closed']);
        assert.match(formatBinding(v, false), /^ {4}Flags: {10}nat, outbound, flow-closed$/m);
      }
    } finally {
      await srv.stop();
    }
  });

  test('a retransmitted REGISTER is absorbed by its transaction: same answer, one change', async () => {
    const srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], auth: false, probeIntervalSeconds: 0 });
    const c = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    const changes: string[] = [];
    srv.server.location.on('change', (ch) => changes.push(ch.type));
    try {
      const text = c.registerText('retrans', { expires: 300 });
      c.send(text);
      const first = await c.finalResponse();
      c.send(text);
      const again = await c.finalResponse();
      assert.equal(first.status, 200);
      assert.equal(again.toBuffer().toString(), first.toBuffer().toString());
      await sleep(50);
      assert.deepEqual(changes, ['added']);
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('TCP connection close removes the binding; expiry removes within a second; keepalive refreshes', async () => {
    const srv = await startServer({ listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], domains: ['example.com'], auth: false, minExpires: 1, probeIntervalSeconds: 0 });
    const tcp = await SipEndpoint.open('tcp', '127.0.0.1', srv.port('tcp'));
    const udp = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    try {
      assert.equal((await tcp.register('tcpuser', undefined, { expires: 300 })).status, 200);
      assert.equal(srv.server.location.lookup('sip:tcpuser@example.com').length, 1);
      tcp.close();
      await until(() => srv.server.location.lookup('sip:tcpuser@example.com').length === 0, 2000);

      assert.equal((await udp.register('udpuser', undefined, { expires: 600 })).status, 200);
      const [b] = srv.server.location.lookup('sip:udpuser@example.com');
      const registeredAt = b.lastKeepalive ?? 0;
      await sleep(30);
      udp.send(Buffer.from([0]));
      await until(() => (srv.server.location.lookup('sip:udpuser@example.com')[0].lastKeepalive ?? 0) > registeredAt, 2000);

      assert.equal((await udp.register('shortlived', undefined, { expires: 1 })).status, 200);
      const [s] = srv.server.location.lookup('sip:shortlived@example.com');
      await until(() => srv.server.location.lookup('sip:shortlived@example.com').length === 0, 3000);
      assert.ok(Date.now() - s.expiresAt < 1000, `removed ${Date.now() - s.expiresAt} ms after its expiry`);
    } finally {
      udp.close();
      await srv.stop();
    }
  });

  test('TCP: a quiet UA that answers the probes keeps its connection and binding past --idle-timeout; a silent one loses them', async () => {
    const srv = await startServer({ listen: ['tcp:127.0.0.1:0'], domains: ['example.com'], auth: false, probeIntervalSeconds: 0.2, t1Ms: 10, idleTimeoutSeconds: 1 });
    const silent = await SipEndpoint.open('tcp', '127.0.0.1', srv.port('tcp'));
    const quiet = await SipEndpoint.open('tcp', '127.0.0.1', srv.port('tcp'));
    const answering = { on: true };
    let probes = 0;
    try {
      assert.equal((await silent.register('silent', undefined, { expires: 600 })).status, 200);
      assert.equal((await quiet.register('quiet', undefined, { expires: 600 })).status, 200);
      // quiet sends nothing of its own (libpurple between refreshes) but answers each OPTIONS, here 501.
      answerProbes(quiet, '501 Not Implemented', answering, (probe) => {
        assert.match(probe.header('via') ?? '', /^SIP\/2\.0\/TCP /);
        probes++;
      });
      // silent neither sends nor answers: its probes (over its connection) do not keep the connection
      // open, so it closes after the idle timeout and the binding goes with it.
      await until(() => srv.server.location.lookup('sip:silent@example.com').length === 0, 4000);
      await sleep(2500);
      assert.ok(probes >= 3, `${probes} probes answered`);
      assert.equal(srv.server.location.lookup('sip:quiet@example.com').length, 1, 'the answering UA lost its binding');
    } finally {
      answering.on = false;
      silent.close();
      quiet.close();
      await srv.stop();
    }
  });

  test('OPTIONS probes remove a dead UDP contact; any answer keeps a live one; a binding behind an edge proxy is not probed', async () => {
    const srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], auth: false, probeIntervalSeconds: 0.2, t1Ms: 10 });
    const dead = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    const alive = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    const edge = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    const answering = { on: true };
    try {
      assert.equal((await dead.register('dead', undefined, { expires: 600 })).status, 200);
      assert.equal((await alive.register('alive', undefined, { expires: 600 })).status, 200);
      // carol registered through an edge proxy (Path): her source is the proxy, which keeps her flow.
      // It never answers OPTIONS, and must not be probed on her behalf (RFC 3327).
      const edgePath = `Path: <sip:127.0.0.1:${edge.port};lr>`;
      assert.equal((await edge.register('carol', undefined, { expires: 600, contacts: ['<sip:carol@192.0.2.30:5060>'], headers: [edgePath] })).status, 200);
      dead.close();
      // The live client answers every probe with 405, which still proves it is there.
      answerProbes(alive, '405 Method Not Allowed', answering);
      const changes: string[] = [];
      srv.server.location.on('change', (c) => changes.push(`${c.type} ${c.reason} ${c.binding.aor}`));
      // Between its first failed probe and the last one, `ctl ul show` tells the truth: state dead.
      await until(() => srv.server.location.lookup('sip:dead@example.com')[0]?.flags.includes('dead') === true, 8000);
      const [shown] = srv.server.location.lookup('sip:dead@example.com');
      assert.equal(toBindingView(shown, Date.now()).state, 'dead');
      await until(() => srv.server.location.lookup('sip:dead@example.com').length === 0, 8000);
      assert.ok(changes.includes('removed dead sip:dead@example.com'), changes.join(', '));
      assert.equal(srv.server.location.lookup('sip:carol@example.com').length, 1, 'the edge was not probed for carol');
      assert.equal(await edge.gets((m) => m.method === 'OPTIONS', 0), false);
      const [live] = srv.server.location.lookup('sip:alive@example.com');
      assert.equal(toBindingView(live, Date.now()).state, 'active');
    } finally {
      answering.on = false;
      alive.close();
      edge.close();
      await srv.stop();
    }
  });

  test('a restart with sqlite restores bindings and drops expired ones', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'simplesip-e2e-'));
    try {
      const config = { listen: ['udp:127.0.0.1:0'], domains: ['example.com'], store: 'sqlite' as const, dataDir, minExpires: 1, probeIntervalSeconds: 0 };
      const first = await startServer(config);
      await first.server.users.add('erin', 'example.com', 'erin-secret');
      const c = await SipEndpoint.open('udp', '127.0.0.1', first.port('udp'));
      assert.equal((await c.register('erin', 'erin-secret', { contacts: ['<sip:erin@192.0.2.7>'], expires: 600 })).status, 200);
      assert.equal((await c.register('erin', 'erin-secret', { contacts: ['<sip:erin@192.0.2.8>'], expires: 1 })).status, 200);
      c.close();
      await first.stop();
      await sleep(1100);
      const second = await startServer(config);
      try {
        assert.deepEqual(second.server.location.lookup('sip:erin@example.com').map((b) => b.contact), ['sip:erin@192.0.2.7']);
        assert.deepEqual(second.server.users.list().map((u) => u.username), ['erin']);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
