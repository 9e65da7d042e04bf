// RFC 5626 4.5: when a TCP flow fails (its CRLFCRLF pings get no pong), the client forms a new flow:
// it closes the failed connection and registers over a new one, not again over the connection
// that stopped answering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newUa } from './helpers.js';
import { until } from './scripted-peer.js';
import { tcpRegistrar } from './tcp-registrar.js';

test('a TCP flow whose pings go unanswered: its connection is closed and the new REGISTER comes on a new one', async (t) => {
  const registrar = await tcpRegistrar({ grantsOutbound: true, answersPings: true });
  t.after(() => registrar.close());
  const ua = newUa(`sip:127.0.0.1:${registrar.port};transport=tcp`, {
    keepaliveIntervalMs: 50, keepaliveTimeoutMs: 200, backoff: { baseMs: 50, maxMs: 200 },
  });
  t.after(() => ua.close());
  const contacts: string[] = [];
  ua.on('registered', (e) => contacts.push(e.contact));
  await ua.register();
  assert.deepEqual(registrar.connections.map((c) => c.registers), [1]);
  const first = registrar.connections[0];
  first.answersPings = false;
  await until(() => registrar.connections.length >= 2 && registrar.connections[1].registers >= 1, 5000, 'a REGISTER on a new connection');
  await until(() => first.closed, 2000, 'the failed connection closed');
  assert.equal(first.registers, 1, 'no REGISTER on the failed connection after it failed');
  const second = registrar.connections[1];
  assert.notEqual(second.socket.remotePort, first.socket.remotePort);
  await until(() => contacts.length >= 2, 2000, 'registered again');
  assert.match(contacts[1], new RegExp(`:${second.socket.remotePort};transport=tcp$`));
});
