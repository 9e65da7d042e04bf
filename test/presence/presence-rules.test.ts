// PUBLISH (RFC 3903) and SUBSCRIBE (RFC 6665, RFC 3856, RFC 3857) rules one by one, over UDP on
// 127.0.0.1: each case fails without the behaviour it names.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../helpers/server.js';
import { firstTuple, pidf, PresencePeer } from './presence-peer.js';

const HOST = '127.0.0.1';
const BOB = `sip:bob@${HOST}`;

describe('PUBLISH', () => {
  let srv: RunningServer;
  let bob: PresencePeer;
  before(async () => {
    srv = await startServer({ auth: false, probeIntervalSeconds: 0, minExpires: 60, maxExpires: 3600 });
    bob = await PresencePeer.open('udp', HOST, srv.port('udp'), 'bob');
  });
  after(async () => { bob.close(); await srv.stop(); });

  test('initial, refresh (no body), modify, remove; unknown ETag 412', async () => {
    const first = await bob.publish({ body: pidf(BOB, 'open', { note: 'hi' }), expires: 120 });
    assert.equal(first.status, 200);
    const tag1 = first.sipETag() as string;
    assert.equal(first.expires(), 120);
    const refresh = await bob.publish({ etag: tag1, expires: 300 });
    assert.equal(refresh.status, 200);
    const tag2 = refresh.sipETag() as string;
    assert.notEqual(tag2, tag1, 'RFC 3903 6 step 8: a new entity-tag');
    assert.equal((await bob.publish({ etag: tag1, expires: 300 })).status, 412, 'the old tag is gone');
    const view = () => srv.server.controlContext().presence?.show(BOB);
    assert.equal(view()?.publications[0].note, 'hi', 'a refresh keeps the document');
    const modify = await bob.publish({ etag: tag2, body: pidf(BOB, 'closed', { note: 'gone' }) });
    assert.equal(modify.status, 200);
    assert.equal(view()?.publications.length, 1);
    assert.equal(view()?.publications[0].note, 'gone');
    const remove = await bob.publish({ etag: modify.sipETag(), expires: 0 });
    assert.equal(remove.status, 200);
    assert.equal(view()?.publications.length, 0);
    assert.equal((await bob.publish({ etag: 'no-such-tag', expires: 60 })).status, 412);
  });

  test('Expires: 0 removes and is never 423; short is 423 with Min-Expires; long is clamped', async () => {
    const tooShort = await bob.publish({ body: pidf(BOB, 'open'), expires: 10 });
    assert.equal(tooShort.status, 423);
    assert.equal(tooShort.header('min-expires'), '60');
    const long = await bob.publish({ body: pidf(BOB, 'open'), expires: 86400 });
    assert.equal(long.expires(), 3600);
    assert.equal((await bob.publish({ etag: long.sipETag(), expires: 0 })).status, 200);
  });

  test('489 with Allow-Events, 415 with Accept, 400 for malformed XML with the reason', async () => {
    const bad = await bob.publish({ body: pidf(BOB, 'open'), event: 'dialog' });
    assert.equal(bad.status, 489);
    assert.equal(bad.header('allow-events'), 'presence');
    const type = await bob.publish({ body: '<x/>', contentType: 'application/xpidf+xml' });
    assert.equal(type.status, 415);
    assert.equal(type.header('accept'), 'application/pidf+xml');
    const broken = await bob.publish({ body: '<presence xmlns="urn:ietf:params:xml:ns:pidf"><tuple>' });
    assert.equal(broken.status, 400);
    assert.match(broken.reason ?? '', /malformed XML/);
    const notPidf = await bob.publish({ body: '<presence entity="x"/>' });
    assert.equal(notPidf.status, 400);
    assert.match(notPidf.reason ?? '', /not a PIDF document/);
  });

  test('RPID and other extension elements are kept, not stripped', async () => {
    const extra = '<dm:person id="p9"><rpid:activities><rpid:busy/></rpid:activities></dm:person><x:y xmlns:x="urn:example:x">kept</x:y>';
    const r = await bob.publish({ body: pidf(BOB, 'open', { extra }) });
    assert.equal(r.status, 200);
    await bob.register();
    const doc = srv.server.controlContext().presence?.show(BOB).document ?? '';
    assert.match(doc, /<rpid:busy\/>/);
    assert.match(doc, /xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"/);
    assert.match(doc, /<x:y xmlns:x="urn:example:x">kept<\/x:y>/);
    await bob.publish({ etag: r.sipETag(), expires: 0 });
    await bob.register(0);
  });

  test('someone else may not publish for bob (403)', async () => {
    const r = await bob.request([
      `PUBLISH ${BOB} SIP/2.0`, `Via: SIP/2.0/UDP ${bob.sip.sentBy};branch=z9hG4bKx403;rport`, 'Max-Forwards: 70',
      `From: <sip:eve@${HOST}>;tag=1`, `To: <${BOB}>`, 'Call-ID: x403', 'CSeq: 1 PUBLISH', 'Event: presence',
      'Content-Type: application/pidf+xml',
    ], pidf(BOB, 'open'));
    assert.equal(r.status, 403);
  });
});

describe('SUBSCRIBE', () => {
  let srv: RunningServer;
  const peers: PresencePeer[] = [];
  const peer = async (user: string, domain?: string): Promise<PresencePeer> => {
    const p = await PresencePeer.open('udp', HOST, srv.port('udp'), user, domain);
    peers.push(p);
    return p;
  };
  before(async () => {
    srv = await startServer({ auth: false, probeIntervalSeconds: 0, minExpires: 1, maxExpires: 3600, domains: ['example.com'] });
  });
  after(async () => { for (const p of peers) p.close(); await srv.stop(); });

  test('489 for unknown packages, 406 without an acceptable type, 423, 481 for an unknown dialog', async () => {
    const a = await peer('alice');
    const ev = await a.subscribe(BOB, { event: 'message-summary' });
    assert.equal(ev.response.status, 489);
    assert.equal(ev.response.header('allow-events'), 'presence, presence.winfo');
    assert.equal((await a.subscribe(BOB, { accept: 'application/xpidf+xml' })).response.status, 406);
    const brief = await peer('alice');
    const srv2 = await startServer({ auth: false, probeIntervalSeconds: 0, minExpires: 60 });
    try {
      const b = await PresencePeer.open('udp', HOST, srv2.port('udp'), 'alice');
      const r = await b.subscribe(BOB, { expires: 5 });
      assert.equal(r.response.status, 423);
      assert.equal(r.response.header('min-expires'), '60');
      b.close();
    } finally {
      await srv2.stop();
    }
    const fake = { callId: 'nope', fromTag: 'x', toTag: 'y', target: `sip:${HOST}:${srv.port('udp')}`, presentity: BOB, cseq: 1, event: 'presence' };
    assert.equal((await brief.resubscribe(fake, 60)).status, 481);
  });

  test('refresh: 200 then a NOTIFY with the new expiry; expiry ends it with reason=timeout', async () => {
    const a = await peer('alice');
    const { response, dialog } = await a.subscribe(BOB, { expires: 2 });
    assert.equal(response.status, 200);
    await a.notify();
    const refresh = await a.resubscribe(dialog, 3);
    assert.equal(refresh.status, 200);
    const n = await a.notify();
    assert.equal(n.subscriptionState()?.state, 'active');
    assert.ok((n.subscriptionState()?.expires ?? 0) >= 2);
    const end = await a.notify(200, 5000);
    assert.equal(end.subscriptionState()?.state, 'terminated');
    assert.equal(end.subscriptionState()?.reason, 'timeout');
  });

  test('a watcher of another domain waits as pending and never sees the state; allow, then block politely', async () => {
    const bob = await peer('bob');
    await bob.register();
    await bob.publish({ body: pidf(BOB, 'open', { note: 'secret plans' }) });
    const eve = await peer('eve', 'example.com');
    const { response } = await eve.subscribe(BOB);
    assert.equal(response.status, 200);
    let n = await eve.notify();
    assert.equal(n.subscriptionState()?.state, 'pending');
    assert.equal(n.body.length, 0, 'RFC 3856 6.6.2: no state while pending');
    const presence = srv.server.controlContext().presence;
    assert.deepEqual(presence?.watchers(BOB).map((w) => [w.watcher, w.state]), [[eve.aor, 'pending']]);
    await presence?.setRule(BOB, eve.aor, 'allow');
    n = await eve.notify();
    assert.equal(n.subscriptionState()?.state, 'active');
    assert.deepEqual(firstTuple(n), { basic: 'open', note: 'secret plans' });
    await presence?.setRule(BOB, eve.aor, 'block');
    n = await eve.notify();
    assert.equal(n.subscriptionState()?.state, 'active', 'polite blocking looks active');
    assert.deepEqual(firstTuple(n), { basic: 'closed', note: undefined });
    assert.doesNotMatch(n.body.toString(), /secret/);
    await bob.publish({ body: pidf(BOB, 'open', { note: 'more secrets' }) });
    await assert.rejects(eve.notify(200, 500), /no request/, 'a blocked watcher gets no state changes');
    await bob.register(0);
  });

  test('presence.winfo: the presentity sees its watchers come and go; others get 403', async () => {
    const dave = await peer('dave');
    const daveAor = `sip:dave@${HOST}`;
    const w = await dave.subscribe(daveAor, { event: 'presence.winfo' });
    assert.equal(w.response.status, 200);
    let n = await dave.notify();
    assert.equal(n.contentType()?.subtype, 'watcherinfo+xml');
    assert.match(n.body.toString(), /version="0"[\s\S]*<watcher-list resource="sip:dave@127.0.0.1" package="presence">\s*<\/watcher-list>/);
    const frank = await peer('frank');
    const f = await frank.subscribe(daveAor);
    await frank.notify();
    n = await dave.notify();
    assert.match(n.body.toString(), /status="active" event="approved"[^>]*>sip:frank@127.0.0.1<\/watcher>/);
    await frank.resubscribe(f.dialog, 0);
    await frank.notify();
    n = await dave.notify();
    assert.doesNotMatch(n.body.toString(), /frank/);
    assert.equal((await frank.subscribe(daveAor, { event: 'presence.winfo' })).response.status, 403);
  });

  test('a NOTIFY nobody answers (timeout) ends the subscription', async () => {
    const srv3 = await startServer({ auth: false, probeIntervalSeconds: 0, t1Ms: 20 });
    try {
      const g = await PresencePeer.open('udp', HOST, srv3.port('udp'), 'gina');
      await g.subscribe(BOB);
      await g.notify(null);
      await new Promise((r) => setTimeout(r, 64 * 20 + 300));
      assert.equal(srv3.server.controlContext().presence?.watchers(BOB).length, 0);
      assert.equal(srv3.server.controlContext().presence?.counts().notifyFailures, 1);
      g.close();
    } finally {
      await srv3.stop();
    }
  });
});

test('subscriptions, publications and rules survive a restart (sqlite)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'presence-restart-'));
  try {
    let srv = await startServer({ auth: false, probeIntervalSeconds: 0, store: 'sqlite', dataDir });
    const port = srv.port('udp');
    const alice = await PresencePeer.open('udp', HOST, port, 'alice');
    const bob = await PresencePeer.open('udp', HOST, port, 'bob');
    await bob.register();
    await alice.subscribe(BOB);
    await alice.notify();
    assert.equal((await bob.publish({ body: pidf(BOB, 'open', { note: 'before restart' }) })).status, 200);
    await alice.notify();
    await srv.server.controlContext().presence?.setRule(BOB, 'sip:eve@example.com', 'block');
    await srv.stop();
    srv = await startServer({ auth: false, probeIntervalSeconds: 0, store: 'sqlite', dataDir, listen: [`udp:${HOST}:${port}`] });
    try {
      const n = await alice.notify();
      assert.deepEqual(firstTuple(n), { basic: 'open', note: 'before restart' }, 'the restored subscriber gets the restored state');
      const view = srv.server.controlContext().presence;
      assert.equal(view?.show(BOB).publications.length, 1);
      assert.deepEqual(view?.watchers(BOB).map((w) => w.watcher), [alice.aor]);
      const cseqBefore = n.cseq().seq;
      assert.ok(cseqBefore > 2, 'the NOTIFY CSeq only grows across a restart');
    } finally {
      alice.close();
      bob.close();
      await srv.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

describe('device going away', () => {
  let srv: RunningServer;
  const peers: PresencePeer[] = [];
  before(async () => {
    srv = await startServer({ auth: false, probeIntervalSeconds: 0, minExpires: 1 });
  });
  after(async () => { for (const p of peers) p.close(); await srv.stop(); });

  test('finch quit: a "closed" PUBLISH with Expires 600 shows offline at once, before its un-REGISTER', async () => {
    const alice = await PresencePeer.open('udp', HOST, srv.port('udp'), 'alice');
    const bob = await PresencePeer.open('udp', HOST, srv.port('udp'), 'bob');
    peers.push(alice, bob);
    await bob.register();
    await bob.publish({ body: pidf(BOB, 'open', { note: 'available' }), expires: 600 });
    await alice.subscribe(BOB);
    assert.equal(firstTuple(await alice.notify()).basic, 'open');
    const started = Date.now();
    await bob.publish({ body: pidf(BOB, 'closed'), expires: 600 });
    assert.equal(firstTuple(await alice.notify()).basic, 'closed');
    assert.ok(Date.now() - started < 1000);
    await bob.register(0);
  });

  test('an expired publication leaves the composed state (back to registration-derived open)', async () => {
    const alice = await PresencePeer.open('udp', HOST, srv.port('udp'), 'alice');
    const bob = await PresencePeer.open('udp', HOST, srv.port('udp'), 'bob');
    peers.push(alice, bob);
    await bob.register();
    await bob.publish({ body: pidf(BOB, 'closed', { note: 'brb' }), expires: 1 });
    await alice.subscribe(BOB);
    assert.deepEqual(firstTuple(await alice.notify()), { basic: 'closed', note: 'brb' });
    assert.deepEqual(firstTuple(await alice.notify(200, 3000)), { basic: 'open', note: undefined });
    assert.equal(srv.server.controlContext().presence?.show(BOB).publications.length, 0);
  });
});
