// An IPv4 peer of a dual-stack (`*`) stream listener is reported by Node as ::ffff:a.b.c.d; what the
// transport logs and warns about it names the IPv4 address (README: no ::ffff: in logs or output).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import type { TransportLogger, TransportWarning } from '../../src/transport/types.js';
import { makeTestCertificate } from '../helpers/tls-cert.js';
import { manager, nextEvent, RawStreamClient, sleep } from './wire.js';

function capture(): { logger: TransportLogger; lines: Array<{ obj: object; msg?: string }> } {
  const lines: Array<{ obj: object; msg?: string }> = [];
  const put = (obj: object, msg?: string): void => { lines.push({ obj, msg }); };
  return { logger: { debug: put, info: put, warn: put, error: put }, lines };
}

test('tcp:* over maxConnections: the warning names the peer 127.0.0.1', { timeout: 5000 }, async (t) => {
  const tm = manager({ maxConnections: 1 });
  t.after(() => tm.close());
  const info = await tm.listen('tcp:*:0');
  const first = await RawStreamClient.connect(info.port);
  t.after(() => first.close());
  await sleep(50);
  const warned = nextEvent<[TransportWarning]>(tm, 'warning');
  const extra = connect(info.port, '127.0.0.1');
  extra.on('error', () => {});
  t.after(() => extra.destroy());
  const [w] = await warned;
  assert.equal(w.code, 'connection-limit');
  assert.match(w.message, /^connection from 127\.0\.0\.1 on /);
});

test('tls:* handshake failure and ws:* handshake without sip: the debug log names 127.0.0.1', { timeout: 5000 }, async (t) => {
  const cert = makeTestCertificate();
  t.after(() => cert.remove());
  const { logger, lines } = capture();
  const tm = manager({ tls: { cert: cert.cert, key: cert.key }, logger });
  t.after(() => tm.close());
  const tls = await tm.listen('tls:*:0');
  const ws = await tm.listen('ws:*:0');
  const junk = connect(tls.port, '127.0.0.1', () => junk.write('OPTIONS sip:x SIP/2.0\r\n\r\n'));
  junk.on('error', () => {});
  t.after(() => junk.destroy());
  const noSip = new WebSocket(`ws://127.0.0.1:${ws.port}`, ['chat']);
  noSip.on('error', () => {});
  t.after(() => noSip.terminate());
  const seen = (msg: string): { obj: object; msg?: string } | undefined => lines.find((l) => l.msg === msg);
  for (let i = 0; i < 100 && (!seen('TLS handshake failed') || !seen('WebSocket handshake without the sip subprotocol refused')); i++) await sleep(20);
  assert.deepEqual((seen('TLS handshake failed')?.obj as { from?: string } | undefined)?.from, '127.0.0.1');
  assert.deepEqual((seen('WebSocket handshake without the sip subprotocol refused')?.obj as { from?: string } | undefined)?.from, '127.0.0.1');
  assert.doesNotMatch(JSON.stringify(lines), /::ffff:/i);
});
