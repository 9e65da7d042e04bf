// `simplesip ctl presence show|watchers|allow|block` and the presence counts of `ctl stats` and
// /metrics, against a running server with a real control API.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PresenceView, StatsView, WatcherView } from '../../src/control/api-types.js';
import { serverWithControl } from '../helpers/server-with-peers.js';
import { runCtl } from '../cli/ctl-run.js';
import { firstTuple, pidf, PresencePeer } from './presence-peer.js';

const HOST = '127.0.0.1';
const BOB = `sip:bob@${HOST}`;
const lab = serverWithControl({ auth: false, probeIntervalSeconds: 0, domains: ['example.com'] });
const peers: PresencePeer[] = [];
after(() => {
  for (const p of peers) p.close();
});

test('show, watchers, allow, block, stats and metrics', async () => {
  const bob = await PresencePeer.open('udp', HOST, lab.srv.port('udp'), 'bob');
  const eve = await PresencePeer.open('udp', HOST, lab.srv.port('udp'), 'eve', 'example.com');
  peers.push(bob, eve);
  await bob.register();
  const pub = await bob.publish({ body: pidf(BOB, 'open', { note: 'in a meeting' }), expires: 600 });
  await eve.subscribe(BOB);
  assert.equal((await eve.notify()).subscriptionState()?.state, 'pending');

  const show = await runCtl(['--control', lab.address, 'presence', 'show', BOB, '--json']);
  assert.equal(show.code, 0, show.stderr);
  const view = JSON.parse(show.stdout) as PresenceView;
  assert.equal(view.basic, 'open');
  assert.equal(view.note, 'in a meeting');
  assert.equal(view.devices.length, 1);
  assert.equal(view.publications[0].etag, pub.sipETag());
  assert.ok(view.publications[0].expires > 590);
  const text = await runCtl(['--control', lab.address, 'presence', 'show', BOB]);
  assert.match(text.stdout, /sip:bob@127.0.0.1: open "in a meeting"/);
  assert.match(text.stdout, new RegExp(`ETag ${pub.sipETag()}`));

  const watchers = await runCtl(['--control', lab.address, 'presence', 'watchers', BOB, '--json']);
  assert.deepEqual((JSON.parse(watchers.stdout) as WatcherView[]).map((w) => [w.watcher, w.state]), [['sip:eve@example.com', 'pending']]);

  const allow = await runCtl(['--control', lab.address, 'presence', 'allow', BOB, 'sip:eve@example.com']);
  assert.equal(allow.code, 0, allow.stderr);
  assert.equal(firstTuple(await eve.notify()).basic, 'open');
  const block = await runCtl(['--control', lab.address, 'presence', 'block', BOB, 'sip:eve@example.com']);
  assert.equal(block.code, 0, block.stderr);
  assert.equal(firstTuple(await eve.notify()).basic, 'closed');
  const listed = await runCtl(['--control', lab.address, 'presence', 'watchers', BOB]);
  assert.match(listed.stdout, /sip:eve@example.com\s+presence\s+blocked/);

  const stats = JSON.parse((await runCtl(['--control', lab.address, 'stats', '--json'])).stdout) as StatsView;
  assert.equal(stats.presence?.publications, 1);
  assert.equal(stats.presence?.subscriptions, 1);
  assert.ok((stats.presence?.notifiesSent ?? 0) >= 3);
  const metrics = await fetch(`http://${lab.address}/metrics`).then((r) => r.text());
  assert.match(metrics, /simplesip_presence_subscriptions\{event="presence"\} 1/);
  assert.match(metrics, /simplesip_presence_publications 1/);
  assert.match(metrics, /simplesip_presence_notifies_total\{result="delivered"\} [1-9]/);

  const bad = await runCtl(['--control', lab.address, 'presence', 'show', 'not an aor']);
  assert.equal(bad.code, 2);
  // A rule between a user and a bare name would never match a subscription: refused, nothing stored.
  for (const [aor, watcher] of [[BOB, 'eve'], ['bob', 'sip:eve@example.com']]) {
    const refused = await runCtl(['--control', lab.address, 'presence', 'allow', aor, watcher]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /not a USER@DOMAIN address of record/);
  }
});

test('allow/block with an empty watcher is a usage error (exit 2), checked before the request', async () => {
  const states = () => lab.srv.server.controlContext().presence?.watchers(BOB).map((w) => [w.watcher, w.state]);
  const before = states();
  for (const decision of ['allow', 'block']) {
    const r = await runCtl(['--control', lab.address, 'presence', decision, BOB, '']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /not a SIP address of record: ""/);
  }
  assert.deepEqual(states(), before, 'no rule changed');
});
