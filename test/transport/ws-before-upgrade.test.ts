// A ws/wss connection before its WebSocket upgrade (RFC 7118 4.1 / RFC 6455 4: the HTTP handshake,
// for wss after the TLS one) is bound by the idle timeout and takes a maxConnections slot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as connectTls } from 'node:tls';
import { WebSocket } from 'ws';
import type { TransportWarning } from '../../src/transport/types.js';
import { makeTestCertificate } from '../helpers/tls-cert.js';
import { manager, nextEvent, RawStreamClient } from './wire.js';

function open(url: string, ca?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['sip'], ca ? { ca } : {});
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

async function closedWithin(client: RawStreamClient, label: string): Promise<void> {
  const started = Date.now();
  await client.closed;
  const after = Date.now() - started;
  assert.ok(after < 2000, `${label}: closed ${after} ms after connecting`);
}

test('ws and wss: connections that never upgrade are closed after idleTimeoutMs', { timeout: 8000 }, async (t) => {
  const cert = makeTestCertificate();
  t.after(() => cert.remove());
  const tm = manager({ tls: { cert: cert.cert, key: cert.key }, idleTimeoutMs: 300 });
  t.after(() => tm.close());
  const ws = await tm.listen('ws:127.0.0.1:0');
  const wss = await tm.listen('wss:127.0.0.1:0');
  const silent = await RawStreamClient.connect(ws.port);
  const partial = await RawStreamClient.connect(ws.port);
  partial.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // headers never finished
  const noHandshake = await RawStreamClient.connect(wss.port); // never sends a ClientHello
  const handshaken = await RawStreamClient.connect(wss.port, '127.0.0.1', { ca: cert.cert }); // TLS, then nothing
  for (const c of [silent, partial, noHandshake, handshaken]) t.after(() => c.close());
  await Promise.all([
    closedWithin(silent, 'ws, silent'),
    closedWithin(partial, 'ws, partial request'),
    closedWithin(noHandshake, 'wss, no TLS handshake'),
    closedWithin(handshaken, 'wss, no request after the TLS handshake'),
  ]);
});

test('ws: a connection not yet upgraded counts against maxConnections', { timeout: 5000 }, async (t) => {
  const tm = manager({ maxConnections: 1 });
  t.after(() => tm.close());
  const info = await tm.listen('ws:127.0.0.1:0');
  const silent = await RawStreamClient.connect(info.port);
  t.after(() => silent.close());
  const warned = nextEvent<[TransportWarning]>(tm, 'warning');
  await assert.rejects(open(`ws://127.0.0.1:${info.port}`));
  const [warning] = await warned;
  assert.equal(warning.code, 'connection-limit');
  assert.match(warning.message, /1 connections already open \(maxConnections\)/);
  silent.close();
  await silent.closed;
  await new Promise((resolve) => setTimeout(resolve, 50));
  const ws = await open(`ws://127.0.0.1:${info.port}`);
  t.after(() => ws.terminate());
  assert.equal(ws.protocol, 'sip');
});

test('wss: a socket in its TLS handshake counts against maxConnections', { timeout: 5000 }, async (t) => {
  const cert = makeTestCertificate();
  t.after(() => cert.remove());
  const tm = manager({ tls: { cert: cert.cert, key: cert.key }, maxConnections: 1 });
  t.after(() => tm.close());
  const info = await tm.listen('wss:127.0.0.1:0');
  const silent = await RawStreamClient.connect(info.port);
  t.after(() => silent.close());
  const warned = nextEvent<[TransportWarning]>(tm, 'warning');
  await assert.rejects(new Promise((resolve, reject) => {
    const s = connectTls({ host: '127.0.0.1', port: info.port, ca: cert.cert, servername: 'localhost' }, () => resolve(s));
    s.once('error', reject);
    s.once('close', () => reject(new Error('closed')));
  }));
  assert.equal((await warned)[0].code, 'connection-limit');
});
