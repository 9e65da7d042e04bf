// A domain that is an IPv6 address: AORs write it in brackets (sip:alice@[::1]) while users are
// stored by the bare host; a watcher must still find the presentity and see its state. And a
// dual-stack server is one domain under its IPv4 and IPv6 addresses: its users see each other.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserAgent } from '../../src/index.js';
import { startServer } from '../helpers/server.js';
import { firstTuple, pidf, PresencePeer } from './presence-peer.js';

test('SUBSCRIBE to sip:alice@[::1] finds alice and shows her published state', async (t) => {
  const srv = await startServer({ listen: ['udp:[::1]:0'], probeIntervalSeconds: 0 });
  for (const user of ['alice', 'bob']) await srv.server.users.add(user, '::1', 'pw');
  const ua = (user: string): UserAgent => new UserAgent({
    aor: `sip:${user}@[::1]`, password: 'pw', server: `sip:[::1]:${srv.port('udp')}`,
    localPorts: { min: 0, max: 0 }, stateDir: mkdtempSync(join(tmpdir(), 'ua-')), networkCheckIntervalMs: 0,
  });
  const alice = ua('alice');
  const bob = ua('bob');
  t.after(async () => {
    await alice.close();
    await bob.close();
    await srv.stop();
  });
  await alice.register();
  await bob.register();
  await alice.setPresence({ basic: 'open', note: 'on IPv6' });
  await bob.subscribe('sip:alice@[::1]');
  const deadline = Date.now() + 3000;
  let buddy = (await bob.buddies())[0];
  while (buddy?.basic !== 'open' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    buddy = (await bob.buddies())[0];
  }
  assert.equal(buddy?.subscription, 'active');
  assert.equal(buddy?.basic, 'open');
  assert.equal(buddy?.note, 'on IPv6');
});

test('a watcher on the server\'s IPv6 address sees a presentity of its IPv4 address (one server, one domain)', async (t) => {
  const srv = await startServer({ auth: false, listen: ['udp:127.0.0.1:0', 'udp:[::1]:0'], probeIntervalSeconds: 0 });
  const portOf = (address: string): number => srv.listeners.find((l) => l.address === address)?.port ?? 0;
  const alice = await PresencePeer.open('udp', '127.0.0.1', portOf('127.0.0.1'), 'alice');
  const bob = await PresencePeer.open('udp', '::1', portOf('::1'), 'bob');
  t.after(async () => {
    alice.close();
    bob.close();
    await srv.stop();
  });
  assert.equal(bob.aor, 'sip:bob@[::1]');
  await alice.register();
  assert.equal((await alice.publish({ body: pidf(alice.aor, 'open', { note: 'on IPv4' }) })).status, 200);
  const { response } = await bob.subscribe(alice.aor);
  assert.equal(response.status, 200);
  const n = await bob.notify();
  assert.equal(n.subscriptionState()?.state, 'active', 'not pending as a watcher of a foreign domain would be');
  assert.deepEqual(firstTuple(n), { basic: 'open', note: 'on IPv4' });
});
