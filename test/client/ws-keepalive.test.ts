// Keepalives of a WebSocket flow (RFC 5626 4.4.1 applied to RFC 7118): a WebSocket Ping, which the
// server must answer with a Pong (RFC 6455 5.5.2). The Pong keeps the client's own connection from
// going idle between registrations, and a missing Pong is a dead flow, as a missing CRLF pong is on TCP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer } from 'ws';
import { OutboundKeepalive } from '../../src/client/outbound-keepalive.js';
import type { Flow } from '../../src/client/flow.js';
import type { CloseReason } from '../../src/transport/connection.js';
import { TransportManager } from '../../src/transport/transport-manager.js';
import type { SocketIdentity } from '../../src/transport/types.js';

function wsFlow(identity: SocketIdentity, port: number): Flow {
  return {
    target: { protocol: 'ws', address: '127.0.0.1', port, family: 4, host: '127.0.0.1' },
    sendTarget: { protocol: 'ws', address: '127.0.0.1', port, connectionId: identity.connectionId },
    local: identity.local,
    connectionId: identity.connectionId,
  };
}

test('a quiet ws flow with keepalives outlives the client\'s idle timeout', async (t) => {
  const server = new TransportManager();
  t.after(() => server.close());
  const info = await server.listen('ws:127.0.0.1:0');
  // The registrar sees the pings as keepalives of the flow, as it saw the CRLFCRLF (RFC 5626 4.4.1).
  const seen: string[] = [];
  server.on('keepalive', (_source, kind) => seen.push(kind));
  const client = new TransportManager({ idleTimeoutMs: 300 });
  t.after(() => client.close());
  const closed: CloseReason[] = [];
  client.on('connection-closed', (_source, reason) => closed.push(reason));
  const identity = await client.connectWebSocket(`ws://127.0.0.1:${info.port}/`);
  const dead: string[] = [];
  const keepalive = new OutboundKeepalive(client, wsFlow(identity, info.port), { intervalMs: 100, timeoutMs: 200 }, undefined,
    { dead: (why) => dead.push(why), moved: () => {} }, undefined);
  t.after(() => keepalive.stop());
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.deepEqual(closed, [], 'the connection stayed open through three idle timeouts');
  assert.deepEqual(dead, []);
  assert.equal(server.connectionCount, 1);
  assert.ok(seen.length >= 5 && seen.every((kind) => kind === 'ping'), `server saw ${JSON.stringify(seen)}`);
});

test('a ws server that stops answering pings is a dead flow within the keepalive timeout', async (t) => {
  // A WebSocket server that takes pings and never pongs (a peer gone quiet behind a NAT looks the same).
  const mute = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false, handleProtocols: () => 'sip' });
  await new Promise<void>((resolve) => mute.once('listening', () => resolve()));
  t.after(() => new Promise<void>((resolve) => { for (const c of mute.clients) c.terminate(); mute.close(() => resolve()); }));
  const port = (mute.address() as { port: number }).port;
  const client = new TransportManager();
  t.after(() => client.close());
  const identity = await client.connectWebSocket(`ws://127.0.0.1:${port}/`);
  const started = Date.now();
  const died = new Promise<string>((resolve, reject) => {
    const keepalive = new OutboundKeepalive(client, wsFlow(identity, port), { intervalMs: 50, timeoutMs: 200 }, undefined,
      { dead: resolve, moved: () => {} }, undefined);
    t.after(() => keepalive.stop());
    setTimeout(() => reject(new Error('no dead flow within 2 s')), 2000).unref();
  });
  assert.match(await died, /no keepalive answer within 200 ms/);
  assert.ok(Date.now() - started < 1000);
});
