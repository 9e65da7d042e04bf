// RFC 5626 4.4.1 over TCP against simplesip's server: the client's CRLFCRLF pings each get a CRLF
// pong, one per keepalive interval and so each in a read of its own; every one of them must count
// as the pong it is, or the client declares its quiet flow dead and registers again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipClientError } from '../../src/index.js';
import { startServer } from '../helpers/server.js';
import { newUa } from './helpers.js';
import { until } from './scripted-peer.js';

test('a quiet TCP flow stays registered across keepalive rounds: every CRLF pong is a pong', async (t) => {
  const srv = await startServer({ listen: ['tcp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0 });
  t.after(() => srv.stop());
  await srv.server.users.add('alice', 'example.com', 'secret');
  let pings = 0;
  srv.server.transport.on('keepalive', (_source, kind) => { if (kind === 'ping') pings++; });
  const ua = newUa(`sip:127.0.0.1:${srv.port('tcp')};transport=tcp`, { keepaliveIntervalMs: 50, keepaliveTimeoutMs: 300 });
  t.after(() => ua.close());
  const errors: SipClientError[] = [];
  const registrations: string[] = [];
  ua.on('error', (e) => errors.push(e));
  ua.on('unregistered', (e) => registrations.push(`unregistered ${e.reason}`));
  await ua.register();
  ua.on('registered', () => registrations.push('registered again'));
  const from = pings;
  // Each round waits for its pong (the next ping follows it), so ten pings are ten answered rounds;
  // a pong taken for anything else stops the rounds for the 300 ms timeout and fails the flow.
  await until(() => pings - from >= 10, 5000, 'ten keepalive rounds');
  assert.deepEqual(errors.map((e) => e.message), []);
  assert.deepEqual(registrations, []);
});
