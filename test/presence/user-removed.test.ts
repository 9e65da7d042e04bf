// `ctl user rm` takes the user's presence state with him: subscriptions to him end with reason
// noresource (RFC 6665 4.2.2: the resource is gone, do not subscribe again), his own subscriptions
// end with reason rejected, and his publications and presence rules are deleted, so that a user made
// later under the same name does not inherit who may watch him.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WatcherView } from '../../src/control/api-types.js';
import { serverWithControl } from '../helpers/server-with-peers.js';
import { runCtl } from '../cli/ctl-run.js';
import { pidf, PresencePeer } from './presence-peer.js';

const HOST = '127.0.0.1';
const BOB = `sip:bob@${HOST}`;
const lab = serverWithControl({ auth: false, probeIntervalSeconds: 0, domains: ['example.com'] });
const peers: PresencePeer[] = [];
after(() => {
  for (const p of peers) p.close();
});

test('user rm ends the subscriptions to and by him and deletes his publications and rules', async () => {
  await lab.srv.server.users.add('bob', HOST, 'secret');
  const bob = await PresencePeer.open('udp', HOST, lab.srv.port('udp'), 'bob');
  const eve = await PresencePeer.open('udp', HOST, lab.srv.port('udp'), 'eve', 'example.com');
  const carol = await PresencePeer.open('udp', HOST, lab.srv.port('udp'), 'carol');
  peers.push(bob, eve, carol);
  await bob.register();
  assert.equal((await bob.publish({ body: pidf(BOB, 'open', { note: 'here' }), expires: 600 })).status, 200);
  await eve.subscribe(BOB);
  await eve.notify();
  assert.equal((await runCtl(['--control', lab.address, 'presence', 'allow', BOB, 'sip:eve@example.com'])).code, 0);
  await eve.notify();
  // bob watches carol.
  await bob.subscribe(`sip:carol@${HOST}`);
  await bob.notify();

  const removed = await runCtl(['--control', lab.address, 'user', 'rm', `bob@${HOST}`]);
  assert.equal(removed.code, 0, removed.stderr);
  const ended = await eve.notifyUntil((n) => n.subscriptionState()?.state === 'terminated');
  assert.equal(ended.subscriptionState()?.reason, 'noresource');
  const own = await bob.notifyUntil((n) => n.subscriptionState()?.state === 'terminated');
  assert.equal(own.subscriptionState()?.reason, 'rejected');

  const presence = lab.srv.server.controlContext().presence;
  assert.deepEqual(presence?.show(BOB).publications, []);
  assert.deepEqual(presence?.watchers(`sip:carol@${HOST}`), []);
  // A new bob starts clean: eve is a stranger again (pending), not allowed by the old rule.
  await lab.srv.server.users.add('bob', HOST, 'another');
  await eve.subscribe(BOB);
  assert.equal((await eve.notify()).subscriptionState()?.state, 'pending');
  const watchers = JSON.parse((await runCtl(['--control', lab.address, 'presence', 'watchers', BOB, '--json'])).stdout) as WatcherView[];
  assert.deepEqual(watchers.map((w) => w.state), ['pending']);
});
