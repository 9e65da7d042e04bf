// A TCP client whose connection drops registers again over a new connection, so with a new Contact
// (a new local port). Its subscriptions' notifier still held the old Contact as the remote target
// and sent the NOTIFYs there: connection refused, subscription removed, and the watcher kept showing
// the old state, never told. The client now refreshes the target of every subscription dialog at
// once with a SUBSCRIBE in the dialog carrying the new Contact (RFC 6665 4.1.2.1, RFC 3261
// 12.2.1.1, RFC 5626 4.2), so the next NOTIFY reaches it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { PresenceEvent, UserAgent } from '../../src/index.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newUa } from './helpers.js';
import { until } from './scripted-peer.js';

let srv: RunningServer;
let wire = '';
let alice: UserAgent;
let bob: UserAgent;
before(async () => {
  const trace = new Writable({ write(chunk: Buffer, _e, cb) { wire += chunk.toString(); cb(); } });
  srv = await startServer({ listen: ['tcp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, trace: true }, trace);
  await srv.server.users.add('alice', 'example.com', 'alice-secret');
  await srv.server.users.add('bob', 'example.com', 'bob-secret');
  const server = `sip:127.0.0.1:${srv.port('tcp')};transport=tcp`;
  alice = newUa(server, { password: 'alice-secret' });
  bob = newUa(server, { aor: 'sip:bob@example.com', password: 'bob-secret', backoff: { baseMs: 20, maxMs: 100 } });
  await alice.register();
  await bob.register();
});
after(async () => {
  await alice?.close();
  await bob?.close();
  await srv?.stop();
});

/** The SUBSCRIBEs the server received, as text. */
function subscribesIn(): string[] {
  return wire.split(/^----- /m).filter((m) => /^\S+ IN /.test(m) && /^SUBSCRIBE /m.test(m));
}

test('a TCP client that re-registers with a new Contact re-SUBSCRIBEs in the dialog with it and gets the next NOTIFY', async () => {
  const seen: PresenceEvent[] = [];
  bob.on('presence', (p) => seen.push(p));
  const contacts: string[] = [];
  bob.on('registered', (e) => contacts.push(e.contact));
  await alice.setPresence({ basic: 'open', note: 'here' });
  await bob.subscribe('alice');
  await until(() => seen.some((p) => p.subscription === 'active' && p.note === 'here'), 3000, 'bob sees alice here');
  const first = subscribesIn()[0];
  const callId = /^Call-ID: (\S+)/mi.exec(first)?.[1] as string;
  const oldContact = bob.contact as string;

  // The server drops bob's connection: bob opens a new one, from a new port, and registers it.
  const binding = srv.server.location.lookup('sip:bob@example.com')[0];
  srv.server.transport.closeConnection(binding.connectionId as string);
  await until(() => contacts.length >= 1, 5000, 'bob registered again');
  const newContact = contacts[0];
  assert.notEqual(newContact, oldContact);

  // A SUBSCRIBE in the same dialog (its Call-ID, a To tag) whose Contact is the new one.
  await until(() => subscribesIn().some((m) => m.includes(`<${newContact}>`)), 3000, 'a re-SUBSCRIBE with the new Contact');
  const refresh = subscribesIn().find((m) => m.includes(`<${newContact}>`)) as string;
  assert.equal(/^Call-ID: (\S+)/mi.exec(refresh)?.[1], callId, 'in the same dialog');
  assert.match(refresh, /^To: [^\n]*;tag=/mi);

  // And the next change reaches bob.
  const mark = seen.length;
  await alice.setPresence({ basic: 'closed', note: 'gone' });
  await until(() => seen.slice(mark).some((p) => p.note === 'gone'), 3000, 'bob sees alice gone');
  const last = seen.at(-1) as PresenceEvent;
  assert.equal(last.basic, 'closed');
  assert.equal(last.subscription, 'active');
});
