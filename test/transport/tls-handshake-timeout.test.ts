// A TCP connection to a tls listener that never completes its TLS handshake (RFC 3261 26.2.1: SIP
// over TLS starts with the handshake) is closed within the idle timeout and holds a --max-connections slot meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipMessage } from '../../src/sip/message.js';
import type { SocketIdentity, TransportWarning } from '../../src/transport/types.js';
import { makeTestCertificate } from '../helpers/tls-cert.js';
import { manager, nextEvent, optionsRequest, RawStreamClient, sleep } from './wire.js';

test('tls: a peer that never sends a ClientHello is disconnected after idleTimeoutMs', { timeout: 5000 }, async (t) => {
  const cert = makeTestCertificate();
  t.after(() => cert.remove());
  const tm = manager({ tls: { cert: cert.cert, key: cert.key }, idleTimeoutMs: 300 });
  t.after(() => tm.close());
  const info = await tm.listen('tls:127.0.0.1:0');
  const silent = await RawStreamClient.connect(info.port); // plain TCP: the handshake never starts
  t.after(() => silent.close());
  const started = Date.now();
  await silent.closed;
  const after = Date.now() - started;
  assert.ok(after >= 250 && after < 2000, `closed ${after} ms after connecting`);
});

test('tls: a socket still in its handshake counts against maxConnections', { timeout: 5000 }, async (t) => {
  const cert = makeTestCertificate();
  t.after(() => cert.remove());
  const tm = manager({ tls: { cert: cert.cert, key: cert.key }, maxConnections: 1 });
  t.after(() => tm.close());
  const info = await tm.listen('tls:127.0.0.1:0');
  const silent = await RawStreamClient.connect(info.port);
  t.after(() => silent.close());
  const warned = nextEvent<[TransportWarning]>(tm, 'warning');
  // The one slot is taken by the silent peer: a real TLS client is refused.
  await assert.rejects(RawStreamClient.connect(info.port, '127.0.0.1', { ca: cert.cert }));
  const [warning] = await warned;
  assert.equal(warning.code, 'connection-limit');
  assert.match(warning.message, /1 connections already open \(maxConnections\)/);
  // Once it leaves, its slot is free again.
  silent.close();
  await silent.closed;
  await sleep(50);
  const client = await RawStreamClient.connect(info.port, '127.0.0.1', { ca: cert.cert });
  t.after(() => client.close());
  const got = nextEvent<[SipMessage, SocketIdentity]>(tm, 'message');
  client.write(optionsRequest('sip:127.0.0.1', `TLS 127.0.0.1:${client.localPort}`));
  assert.equal((await got)[1].protocol, 'tls');
});
