// --max-connections over WebSocket: a handshake over the limit is refused before it completes,
// never answered 101 Switching Protocols (RFC 6455 4.2.2) and then dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import type { TransportWarning } from '../../src/transport/types.js';
import { manager, nextEvent } from './wire.js';

test('ws: with maxConnections open, one more WebSocket never opens', { timeout: 5000 }, async (t) => {
  const tm = manager({ maxConnections: 2 });
  t.after(() => tm.close());
  const info = await tm.listen('ws:127.0.0.1:0');
  const connect = (): WebSocket => new WebSocket(`ws://127.0.0.1:${info.port}`, ['sip']);
  for (let i = 0; i < 2; i++) {
    const ws = connect();
    t.after(() => ws.terminate());
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  }
  const warned = nextEvent<[TransportWarning]>(tm, 'warning');
  const extra = connect();
  t.after(() => extra.terminate());
  let opened = false;
  extra.once('open', () => { opened = true; });
  extra.on('error', () => {});
  await new Promise((resolve) => extra.once('close', resolve));
  assert.equal(opened, false, 'the handshake over the limit did not complete');
  assert.equal((await warned)[0].code, 'connection-limit');
  assert.equal(tm.connectionCount, 2);
});
