// The presence audit's finding, in one process: a TCP watcher and a server restarted with its
// storage. The watcher registers again from a new connection, so with a new Contact, and removes the
// old one; its restored subscription still named the old Contact as the remote target, so the next
// NOTIFY went there, where nobody listens, failed, and the server ended the subscription: the
// watcher kept showing the buddy's old state, never told. With the target refresh (RFC 6665
// 4.1.2.1, RFC 5626 4.2) the buddy who leaves after the restart is seen closed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PresenceEvent } from '../../src/index.js';
import { startServer } from '../helpers/server.js';
import { newUa } from './helpers.js';
import { until } from './scripted-peer.js';

test('a TCP watcher after a server restart: the buddy who leaves afterwards is seen closed', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'watcher-restart-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = { listen: ['tcp:127.0.0.1:0', 'udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, store: 'sqlite' as const, dataDir };
  let srv = await startServer(config);
  t.after(() => srv.stop());
  await srv.server.users.add('alice', 'example.com', 'alice-secret');
  await srv.server.users.add('bob', 'example.com', 'bob-secret');
  const tcp = srv.port('tcp');
  const udp = srv.port('udp');
  const alice = newUa(`sip:127.0.0.1:${udp}`, { password: 'alice-secret' });
  const bob = newUa(`sip:127.0.0.1:${tcp};transport=tcp`, { aor: 'sip:bob@example.com', password: 'bob-secret', backoff: { baseMs: 20, maxMs: 100 } });
  t.after(() => bob.close());
  t.after(() => alice.close());
  const seen: PresenceEvent[] = [];
  bob.on('presence', (p) => seen.push(p));
  await alice.register();
  await bob.register();
  await bob.subscribe('alice');
  await until(() => seen.some((p) => p.subscription === 'active' && p.basic === 'open'), 3000, 'bob sees alice open');

  const contacts: string[] = [];
  bob.on('registered', (e) => contacts.push(e.contact));
  await srv.stop();
  srv = await startServer({ ...config, listen: [`tcp:127.0.0.1:${tcp}`, `udp:127.0.0.1:${udp}`] });
  await until(() => contacts.length >= 1, 5000, 'bob registered again');

  // alice leaves: bob sees her closed.
  await alice.close();
  await until(() => seen.at(-1)?.basic === 'closed', 5000, 'bob sees alice closed');
  assert.equal(seen.at(-1)?.subscription, 'active');
  assert.equal((await bob.buddies())[0].basic, 'closed');
});
