// An initial PUBLISH (no SIP-If-Match) replaces the earlier publications of its transport source:
// composition counts only a source's latest, and the older ones used to stay, each for its Expires,
// in memory and in the store, and came back as the state once the latest went. Publications per
// address-of-record are capped (--max-publications): beyond it 403 naming the cap.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { PublicationStore } from '../../src/presence/publication-store.js';
import { openStore } from '../../src/store/index.js';
import type { PublicationRecord } from '../../src/store/types.js';
import { TimerHeap } from '../../src/transaction/timer-heap.js';
import { startServer } from '../helpers/server.js';
import { pidf, PresencePeer } from './presence-peer.js';

const HOST = '127.0.0.1';
const BOB = `sip:bob@${HOST}`;

test('a second PUBLISH without SIP-If-Match from one source leaves one publication, across a restart; removing it brings no older state back', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'presence-per-source-'));
  const config = { auth: false, probeIntervalSeconds: 0, store: 'sqlite' as const, dataDir };
  let srv = await startServer(config);
  const port = srv.port('udp');
  const bob = await PresencePeer.open('udp', HOST, port, 'bob');
  const view = () => srv.server.controlContext().presence?.show(BOB);
  try {
    await bob.register();
    const first = await bob.publish({ body: pidf(BOB, 'open', { note: 'old plans' }) });
    assert.equal(first.status, 200);
    const second = await bob.publish({ body: pidf(BOB, 'open', { note: 'new plans' }) });
    assert.equal(second.status, 200);
    assert.deepEqual(view()?.publications.map((p) => p.note), ['new plans']);
    assert.equal((await bob.publish({ etag: first.sipETag(), expires: 60 })).status, 412, 'the replaced tag is gone');

    await srv.stop();
    srv = await startServer({ ...config, listen: [`udp:${HOST}:${port}`] });
    assert.deepEqual(view()?.publications.map((p) => p.note), ['new plans'], 'the replaced one is gone from the store too');

    assert.equal((await bob.publish({ etag: second.sipETag(), expires: 0 })).status, 200);
    assert.equal(view()?.publications.length, 0);
    assert.equal(view()?.note, null, 'the older note does not come back');
    assert.doesNotMatch(view()?.document ?? '', /plans/);
  } finally {
    bob.close();
    await srv.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('--max-publications: a new source beyond it gets 403; a source that has one may replace or refresh it', async () => {
  const srv = await startServer({ auth: false, probeIntervalSeconds: 0, maxPublications: 2 });
  const devices = await Promise.all([0, 1, 2].map(() => PresencePeer.open('udp', HOST, srv.port('udp'), 'bob')));
  try {
    const [a, b, c] = devices;
    const fromA = await a.publish({ body: pidf(BOB, 'open', { note: 'a' }) });
    assert.equal(fromA.status, 200);
    assert.equal((await b.publish({ body: pidf(BOB, 'open', { note: 'b' }) })).status, 200);
    const refused = await c.publish({ body: pidf(BOB, 'open', { note: 'c' }) });
    assert.equal(refused.status, 403);
    assert.match(refused.reason ?? '', /too many publications: at most 2 per address-of-record/);
    assert.equal((await a.publish({ etag: fromA.sipETag(), expires: 60 })).status, 200, 'a refresh at the cap');
    assert.equal((await a.publish({ body: pidf(BOB, 'closed', { note: 'a again' }) })).status, 200, 'an initial PUBLISH replacing its own at the cap');
    assert.deepEqual(srv.server.controlContext().presence?.show(BOB).publications.map((p) => p.note).sort(), ['a again', 'b']);
  } finally {
    for (const d of devices) d.close();
    await srv.stop();
  }
});

test('restore keeps only the latest publication of each source and deletes the others from the store', async () => {
  const store = await openStore({ kind: 'memory' });
  const record = (etag: string, source: string, lastModified: number): PublicationRecord => ({
    etag, aor: BOB, event: 'presence', expiresAt: Date.now() + 60_000, contentType: 'application/pidf+xml',
    body: pidf(BOB, 'open', { note: etag }), source, lastModified,
  });
  await Promise.all([
    store.publications.put(record('older', 'udp:127.0.0.1:5070', 1)),
    store.publications.put(record('latest', 'udp:127.0.0.1:5070', 2)),
    store.publications.put(record('other-device', 'udp:127.0.0.1:5071', 1)),
  ]);
  const publications = new PublicationStore(store.publications, pino({ level: 'silent' }), Date.now, new TimerHeap({ autoRun: false }));
  try {
    assert.deepEqual(await publications.restore(), { restored: 2, dropped: 1 });
    assert.deepEqual(publications.of(BOB).map((p) => p.record.etag).sort(), ['latest', 'other-device']);
    assert.deepEqual((await store.publications.all()).map((r) => r.etag).sort(), ['latest', 'other-device']);
  } finally {
    publications.close();
    await store.close();
  }
});
