// A watcher over TCP whose connection closes (the server's --idle-timeout, the client's network, a
// server restart) keeps its subscription: while the connection is open the NOTIFY goes over it;
// once it is gone the NOTIFY goes to the remote target (the SUBSCRIBE's Contact) over a new
// connection (RFC 3261 12.2.1.1, 18.1.1), not to the source port of the closed connection, where
// nobody listens (which used to fail the NOTIFY and end the subscription).
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponse } from '../../src/sip/builder.js';
import { StreamFramer } from '../../src/sip/framing.js';
import type { SipMessage } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { SipEndpoint } from '../helpers/sip-endpoint.js';
import { firstTuple, pidf, PresencePeer } from './presence-peer.js';

const HOST = '127.0.0.1';

/** The watcher's Contact: a TCP listener that answers every request 200 and keeps them. */
class ContactListener {
  readonly requests: SipMessage[] = [];
  private waiters: Array<() => void> = [];
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server) {}

  static async open(host = HOST): Promise<ContactListener> {
    const l = new ContactListener(createServer((socket) => l.accept(socket)));
    await new Promise<void>((resolve) => l.server.listen(0, host, resolve));
    return l;
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => {});
    const framer = new StreamFramer();
    socket.on('data', (chunk) => {
      for (const ev of framer.push(chunk)) {
        if (ev.type !== 'message') continue;
        const m = parseMessage(ev.data);
        if (!('kind' in m) || m.kind !== 'request') continue;
        socket.write(createResponse(m, 200).toBuffer());
        this.requests.push(m);
        for (const wake of this.waiters.splice(0)) wake();
      }
    });
  }

  async notify(timeoutMs = 4000): Promise<SipMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.requests.findIndex((r) => r.method === 'NOTIFY');
      if (i >= 0) return this.requests.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no NOTIFY at the Contact within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}

test('a TCP watcher whose connection closed gets the next NOTIFY at its Contact and stays subscribed', async () => {
  const srv = await startServer({ listen: ['tcp:127.0.0.1:0', 'udp:127.0.0.1:0'], auth: false, probeIntervalSeconds: 0 });
  const contact = await ContactListener.open();
  const alice = await PresencePeer.open('tcp', HOST, srv.port('tcp'), 'alice');
  const bob = await PresencePeer.open('udp', HOST, srv.port('udp'), 'bob');
  try {
    assert.equal((await bob.register()).status, 200);
    const { response } = await alice.subscribe(bob.aor, { contact: `<sip:alice@${HOST}:${contact.port};transport=tcp>` });
    assert.equal(response.status, 200);
    await alice.notify();
    assert.equal(contact.requests.length, 0, 'while the connection is open the NOTIFY goes over it');

    alice.close();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await bob.publish({ body: pidf(bob.aor, 'open', { note: 'after the close' }) })).status, 200);
    const n = await contact.notify();
    assert.deepEqual(firstTuple(n), { basic: 'open', note: 'after the close' });
    assert.deepEqual(srv.server.controlContext().presence?.watchers(bob.aor).map((w) => w.watcher), [alice.aor]);
  } finally {
    contact.close();
    bob.close();
    await srv.stop();
  }
});

test('a NOTIFY to the Contact over a new connection names our address as that Contact reaches it (IPv6 after an IPv4 SUBSCRIBE)', async () => {
  const srv = await startServer({ listen: ['tcp:*:0', 'udp:127.0.0.1:0'], auth: false, probeIntervalSeconds: 0 });
  const contact = await ContactListener.open('::1');
  const alice = await PresencePeer.open('tcp', HOST, srv.port('tcp'), 'alice');
  const bob = await PresencePeer.open('udp', HOST, srv.port('udp'), 'bob');
  try {
    assert.equal((await bob.register()).status, 200);
    assert.equal((await alice.subscribe(bob.aor, { contact: `<sip:alice@[::1]:${contact.port};transport=tcp>` })).response.status, 200);
    await alice.notify();
    alice.close();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await bob.publish({ body: pidf(bob.aor, 'open', { note: 'over IPv6' }) })).status, 200);
    const n = await contact.notify();
    // RFC 3261 18.2.1 / 12.1.1: the Via and the Contact (where refreshes go) name our IPv6 address, not
    // the IPv4 one the SUBSCRIBE's connection had.
    assert.equal(n.topVia()?.host, '::1');
    assert.equal(n.header('contact'), `<sip:[::1]:${srv.port('tcp')};transport=tcp>`);
  } finally {
    contact.close();
    bob.close();
    await srv.stop();
  }
});

test('a TCP watcher restored after a restart gets the current state at its Contact (sqlite)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'presence-stream-restart-'));
  const contact = await ContactListener.open();
  const config = { listen: ['tcp:127.0.0.1:0', 'udp:127.0.0.1:0'], auth: false, probeIntervalSeconds: 0, store: 'sqlite' as const, dataDir };
  let srv = await startServer(config);
  const alice = await PresencePeer.open('tcp', HOST, srv.port('tcp'), 'alice');
  const bob = await PresencePeer.open('udp', HOST, srv.port('udp'), 'bob');
  try {
    assert.equal((await bob.register()).status, 200);
    assert.equal((await alice.subscribe(bob.aor, { contact: `<sip:alice@${HOST}:${contact.port};transport=tcp>` })).response.status, 200);
    await alice.notify();
    assert.equal((await bob.publish({ body: pidf(bob.aor, 'open', { note: 'before restart' }) })).status, 200);
    await alice.notify();
    await srv.stop();
    alice.close();
    srv = await startServer(config);
    // README "Presence": restored watchers get a NOTIFY with the current state once the server is up.
    const n = await contact.notify();
    assert.deepEqual(firstTuple(n), { basic: 'open', note: 'before restart' });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(srv.server.controlContext().presence?.watchers(bob.aor).length, 1, 'the subscription survives');
  } finally {
    alice.close();
    bob.close();
    contact.close();
    await srv.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// A browser tab (JsSIP, SIP.js) over WebSocket registers an RFC 5626 flow (+sip.instance, reg-id) and
// keeps one Contact, a `.invalid` host nobody can reach (RFC 7118 5.2), on every connection it makes.
// When its connection drops it connects again and registers the flow anew within seconds (RFC 5626
// 4.5): its NOTIFYs must follow the flow's new connection (5.3, RFC 7118 5.3), and a NOTIFY due while
// the flow is down must not end the subscription. Both used to: the notifier sent to the Contact
// (a DNS lookup of `.invalid`), failed, and removed the subscription without a word.
const WS_CONTACT = '<sip:dave@dave-tab.invalid;transport=ws>';
const WS_FLOW = `${WS_CONTACT};+sip.instance="<urn:uuid:00000000-0000-4000-8000-0000000000d1>";reg-id=1`;

/** Dave's tab: connects over WebSocket and registers its flow (the same Contact, instance and reg-id every time). */
async function wsTab(srv: RunningServer): Promise<PresencePeer> {
  const dave = new PresencePeer(await SipEndpoint.open('ws', HOST, srv.port('ws')), 'dave', HOST);
  const r = await dave.sip.register('dave', undefined, { domain: HOST, contacts: [WS_FLOW], headers: ['Supported: outbound'] });
  assert.equal(r.status, 200);
  assert.match(r.header('require') ?? '', /outbound/, 'registered as an RFC 5626 flow');
  return dave;
}

/** Closes the tab's connection and waits until the server has seen it close. */
async function dropConnection(srv: RunningServer, dave: PresencePeer): Promise<void> {
  const closed = once(srv.server.transport, 'connection-closed');
  dave.close();
  await closed;
}

test('a WebSocket watcher whose flow reconnects gets the next NOTIFY over its new connection (RFC 5626 5.3)', async () => {
  const srv = await startServer({ listen: ['ws:127.0.0.1:0', 'udp:127.0.0.1:0'], auth: false, probeIntervalSeconds: 0 });
  const alice = await PresencePeer.open('udp', HOST, srv.port('udp'), 'alice');
  let dave = await wsTab(srv);
  try {
    assert.equal((await alice.register()).status, 200);
    assert.equal((await dave.subscribe(alice.aor, { contact: WS_CONTACT })).response.status, 200);
    await dave.notify();
    await dropConnection(srv, dave);
    dave = await wsTab(srv);
    assert.equal((await alice.publish({ body: pidf(alice.aor, 'open', { note: 'after the reconnect' }) })).status, 200);
    const n = await dave.notifyUntil((x) => firstTuple(x).note === 'after the reconnect');
    assert.deepEqual(firstTuple(n), { basic: 'open', note: 'after the reconnect' });
    assert.deepEqual(srv.server.controlContext().presence?.watchers(alice.aor).map((w) => w.watcher), [dave.aor]);
  } finally {
    alice.close();
    dave.close();
    await srv.stop();
  }
});

test('a change while a WebSocket watcher\'s flow is down keeps the subscription and reaches the tab once it registers again', async () => {
  const srv = await startServer({ listen: ['ws:127.0.0.1:0', 'udp:127.0.0.1:0'], auth: false, probeIntervalSeconds: 0 });
  const alice = await PresencePeer.open('udp', HOST, srv.port('udp'), 'alice');
  let dave = await wsTab(srv);
  try {
    assert.equal((await alice.register()).status, 200);
    assert.equal((await dave.subscribe(alice.aor, { contact: WS_CONTACT })).response.status, 200);
    await dave.notify();
    await dropConnection(srv, dave);
    assert.equal((await alice.publish({ body: pidf(alice.aor, 'open', { note: 'while you were away' }) })).status, 200);
    dave = await wsTab(srv);
    const n = await dave.notifyUntil((x) => firstTuple(x).note === 'while you were away');
    assert.deepEqual(firstTuple(n), { basic: 'open', note: 'while you were away' });
    const presence = srv.server.controlContext().presence;
    assert.deepEqual(presence?.watchers(alice.aor).map((w) => w.watcher), [dave.aor]);
    assert.equal(presence?.counts().notifyFailures, 0, 'a flow that is down is no failed NOTIFY');
  } finally {
    alice.close();
    dave.close();
    await srv.stop();
  }
});

test('a WebSocket watcher restored after a restart gets the current state once its tab registers the flow again (sqlite)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'presence-ws-restart-'));
  const config = { listen: ['ws:127.0.0.1:0', 'udp:127.0.0.1:0'], auth: false, probeIntervalSeconds: 0, store: 'sqlite' as const, dataDir };
  let srv = await startServer(config);
  const alice = await PresencePeer.open('udp', HOST, srv.port('udp'), 'alice');
  let dave = await wsTab(srv);
  try {
    assert.equal((await alice.register()).status, 200);
    assert.equal((await alice.publish({ body: pidf(alice.aor, 'open', { note: 'before restart' }) })).status, 200);
    assert.equal((await dave.subscribe(alice.aor, { contact: WS_CONTACT })).response.status, 200);
    await dave.notify();
    await srv.stop();
    dave.close();
    srv = await startServer(config);
    dave = await wsTab(srv);
    const n = await dave.notifyUntil((x) => firstTuple(x).note === 'before restart');
    assert.deepEqual(firstTuple(n), { basic: 'open', note: 'before restart' });
    assert.deepEqual(srv.server.controlContext().presence?.watchers(alice.aor).map((w) => w.watcher), [dave.aor]);
  } finally {
    alice.close();
    dave.close();
    await srv.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
