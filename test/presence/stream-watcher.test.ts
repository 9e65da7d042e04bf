// A watcher over TCP whose connection closes (the server's --idle-timeout, the client's network, a
// server restart) keeps its subscription: while the connection is open the NOTIFY goes over it;
// once it is gone the NOTIFY goes to the remote target (the SUBSCRIBE's Contact) over a new
// connection (RFC 3261 12.2.1.1, 18.1.1), not to the source port of the closed connection, where
// nobody listens (which used to fail the NOTIFY and end the subscription).
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
import { startServer } from '../helpers/server.js';
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
