// A full disk under the SQLite store (a 2 MB tmpfs filled up): every REGISTER, PUBLISH and
// SUBSCRIBE whose write fails is answered 500 and changes nothing, in memory as on disk (RFC 3261
// 10.3 step 7; RFC 3903 6 and RFC 6665 4.1.2: an error answer means no new, refreshed or removed
// publication or subscription), so what the server shows meanwhile is what it restores once the disk
// is freed.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PresenceView, WatcherView } from '../../src/control/api-types.js';
import type { SipMessage } from '../../src/sip/message.js';
import { StoreError } from '../../src/store/index.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { SipEndpoint } from '../helpers/sip-endpoint.js';
import { pidf, PresencePeer, type Dialog } from '../presence/presence-peer.js';
import { sendMessage } from './message-helpers.js';

const DOMAIN = 'example.com';
const aor = (user: string): string => `sip:${user}@${DOMAIN}`;
const mount = mkdtempSync(join(tmpdir(), 'simplesip-full-'));
const dataDir = join(mount, 'data');
const filler = join(mount, 'filler');
const config = { store: 'sqlite' as const, dataDir, auth: false, domains: [DOMAIN], probeIntervalSeconds: 0 };
let srv: RunningServer;
const peers: Array<{ close(): void }> = [];
/** Set up before the disk fills: bob registered and published, carol watching him. */
let bob: PresencePeer;
let bobEtag: string;
let carol: PresencePeer;
let carolDialog: Dialog;
/** Published before registering. */
let frank: PresencePeer;

function fillDisk(): void {
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

async function peer(user: string): Promise<PresencePeer> {
  const p = await PresencePeer.open('udp', '127.0.0.1', srv.port('udp'), user, DOMAIN);
  peers.push(p);
  return p;
}

function presence(): NonNullable<ReturnType<RunningServer['server']['controlContext']>['presence']> {
  const p = srv.server.controlContext().presence;
  assert.ok(p);
  return p;
}

/** What `ctl presence show` lists of bob's publications: entity-tag and note. */
function publicationsOf(user: string): Array<[string, string | null]> {
  return presence().show(aor(user)).publications.map((p: PresenceView['publications'][number]) => [p.etag, p.note]);
}

/** What `ctl presence watchers` lists: watcher and seconds left. */
function watchersOf(user: string): Array<[string, number]> {
  return presence().watchers(aor(user)).map((w: WatcherView) => [w.watcher, w.expires]);
}

before(async () => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`this test mounts a 2 MB tmpfs and needs root (CI runs as root): ${String(err)}`);
  }
  mkdirSync(dataDir);
  srv = await startServer(config);
  bob = await peer('bob');
  carol = await peer('carol');
  assert.equal((await bob.register(600)).status, 200);
  const published = await bob.publish({ body: pidf(aor('bob'), 'open', { note: 'before' }), expires: 600 });
  assert.equal(published.status, 200);
  bobEtag = published.header('sip-etag') ?? '';
  const subscribed = await carol.subscribe(aor('bob'), { expires: 600 });
  assert.equal(subscribed.response.status, 200);
  carolDialog = subscribed.dialog;
  await carol.notify();
  frank = await peer('frank');
  assert.equal((await frank.publish({ body: pidf(aor('frank'), 'open', { note: 'soon' }), expires: 600 })).status, 200);
  fillDisk();
});

after(async () => {
  for (const p of peers) p.close();
  await srv.stop();
  execFileSync('umount', [mount]);
  rmdirSync(mount);
});

/** The 500 of a refused write says the store failed, and when to try again (RFC 3261 21.5.1). */
function storeFailure(response: SipMessage, what: string): void {
  assert.equal(response.status, 500);
  assert.equal(response.reason, `Server Internal Error (the ${what} could not be stored)`);
  assert.equal(response.header('retry-after'), '60');
}

test('REGISTER: a new binding, an un-REGISTER and ul rm refused change nothing', async () => {
  const rejected = srv.server.stats.registrationsRejected;
  // A new registration: refused, not in the location table, and a MESSAGE for her does not reach her.
  const alice = await peer('alice');
  const refused = await alice.register(600);
  storeFailure(refused, 'registration');
  assert.equal(refused.header('p-registrar-error'), 'the registration could not be stored');
  assert.deepEqual(srv.server.location.lookup(aor('alice')), []);
  const sender = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
  peers.push(sender);
  const message = await sendMessage(sender, { from: 'bob', to: 'alice', body: 'are you there?' });
  assert.notEqual(message.status, 200);
  assert.equal(await alice.sip.gets((m) => m.kind === 'request' && m.method === 'MESSAGE', 0), false, 'alice got nothing');

  // Taking back frank's refused binding takes nothing else with it: his publication stays.
  assert.equal((await frank.register(600)).status, 500);
  assert.deepEqual(publicationsOf('frank').map(([, note]) => note), ['soon']);

  // An un-REGISTER and the operator's removal: refused, and the binding stays.
  assert.equal((await bob.register(0)).status, 500);
  await assert.rejects(srv.server.location.remove(aor('bob'), undefined, 'admin'), StoreError);
  assert.equal(srv.server.location.lookup(aor('bob')).length, 1);
  assert.equal(srv.server.stats.registrationsRejected, rejected + 3, 'ctl stats counts the three 500s as rejected');
});

test('PUBLISH: a new publication, a refresh and a removal refused change nothing', async () => {
  const dave = await peer('dave');
  storeFailure(await dave.publish({ body: pidf(aor('dave'), 'open'), expires: 600 }), 'publication');
  assert.deepEqual(publicationsOf('dave'), []);
  assert.equal((await bob.publish({ body: pidf(aor('bob'), 'open', { note: 'after' }), etag: bobEtag, expires: 600 })).status, 500);
  assert.equal((await bob.publish({ etag: bobEtag, expires: 0 })).status, 500);
  assert.deepEqual(publicationsOf('bob'), [[bobEtag, 'before']], 'the entity-tag bob holds still names his publication');
  assert.equal(presence().counts().publications, 2, 'bob\'s and frank\'s');
});

test('SUBSCRIBE: a new subscription, a refresh and an unsubscribe refused change nothing', async () => {
  const eve = await peer('eve');
  storeFailure((await eve.subscribe(aor('bob'))).response, 'subscription');
  assert.equal((await carol.resubscribe(carolDialog, 3600)).status, 500);
  assert.equal((await carol.resubscribe(carolDialog, 0)).status, 500, 'not a 200 for a subscription a restart would bring back');
  const watchers = watchersOf('bob');
  assert.deepEqual(watchers.map(([w]) => w), [aor('carol')]);
  assert.ok(watchers[0][1] <= 600, `carol's subscription keeps its expiry (${watchers[0][1]} s left)`);
  assert.equal(presence().counts().subscriptions, 1);
});

test('space again and a restart: the server restores what it showed', async () => {
  const shown = { bob: srv.server.location.lookup(aor('bob')).length, publications: publicationsOf('bob'), watchers: watchersOf('bob').map(([w]) => w) };
  rmSync(filler);
  await srv.stop();
  srv = await startServer(config);
  assert.deepEqual(srv.server.location.lookup(aor('alice')), []);
  assert.equal(srv.server.location.lookup(aor('bob')).length, shown.bob);
  assert.deepEqual(publicationsOf('dave'), []);
  assert.deepEqual(publicationsOf('frank').map(([, note]) => note), ['soon']);
  assert.deepEqual(publicationsOf('bob'), shown.publications);
  assert.deepEqual(watchersOf('bob').map(([w]) => w), shown.watchers);
  // bob's entity-tag still works: a refresh with it is accepted.
  bob.close();
  bob = await peer('bob');
  assert.equal((await bob.publish({ etag: bobEtag, expires: 600 })).status, 200);
});
