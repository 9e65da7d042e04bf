// An operator who sets --idle-timeout at or below twice --probe-interval is told at start that quiet
// TCP/TLS clients (libpurple between its refreshes) would lose their bindings, and what to raise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { defaultServerConfig } from '../../src/server/config.js';
import { SipServer } from '../../src/server/sip-server.js';

async function startupLog(idleTimeoutSeconds: number, probeIntervalSeconds: number): Promise<string> {
  let out = '';
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { out += chunk.toString(); done(); } });
  const config = { ...defaultServerConfig(), listen: ['udp:127.0.0.1:0'], store: 'memory' as const, idleTimeoutSeconds, probeIntervalSeconds };
  const server = new SipServer(config, pino({ level: 'warn' }, sink));
  await server.start();
  await server.stop();
  return out;
}

test('--idle-timeout not above twice --probe-interval: a warning at start that says what to raise', async () => {
  const log = await startupLog(2, 1);
  assert.match(log, /--idle-timeout 2 is not above twice --probe-interval 1: quiet TCP\/TLS clients .* raise --idle-timeout above 2/);
});

test('the defaults (300 s idle, 60 s probes) and probing off give no such warning', async () => {
  assert.doesNotMatch(await startupLog(300, 60), /idle-timeout/);
  assert.doesNotMatch(await startupLog(1, 0), /idle-timeout/);
});
