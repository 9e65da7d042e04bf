// A transport warning (here a connection refused by --max-connections) is one log line, with its
// source: the transport manager logs it, and the server no longer logs the 'warning' event again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { defaultServerConfig } from '../../src/server/config.js';
import { SipServer } from '../../src/server/sip-server.js';

test('a connection over --max-connections is logged once', async () => {
  let out = '';
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { out += chunk.toString(); done(); } });
  const config = { ...defaultServerConfig(), listen: ['tcp:127.0.0.1:0'], store: 'memory' as const, maxConnections: 1, probeIntervalSeconds: 0 };
  const server = new SipServer(config, pino({ level: 'warn' }, sink));
  const [listener] = await server.start();
  const open = (): Promise<Socket> => new Promise((resolve) => {
    const s = connect(listener.port, '127.0.0.1', () => resolve(s));
    s.on('error', () => undefined);
  });
  const first = await open();
  const second = await open();
  await new Promise<void>((resolve) => second.once('close', () => resolve()));
  first.destroy();
  await server.stop();
  const lines = out.split('\n').filter((l) => l.includes('connection-limit'));
  assert.equal(lines.length, 1, out);
  assert.match(lines[0], /"source"|already open/);
});
