// `--commit-window` (config commitWindowMs): a REGISTER's 200 is sent once its binding is committed,
// and writes wait up to the window to share a commit, so the window is what a REGISTER waits at most.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { SipEndpoint } from '../helpers/sip-endpoint.js';

async function registerTime(commitWindowMs: number, t: { after(fn: () => unknown): void }): Promise<number[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'simplesip-window-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const srv = await startServer({ store: 'sqlite', dataDir, commitWindowMs, domains: ['example.com'], auth: false, probeIntervalSeconds: 0 });
  t.after(() => srv.stop());
  const client = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
  t.after(() => client.close());
  const times: number[] = [];
  // A first registration (a row inserted) and a refresh (its row updated) each wait for their commit.
  for (let i = 0; i < 2; i++) {
    const start = performance.now();
    const answer = await client.register('alice');
    times.push(performance.now() - start);
    assert.equal(answer.status, 200);
  }
  assert.equal(srv.server.location.lookup('sip:alice@example.com').length, 1);
  return times;
}

test('--commit-window 300: a REGISTER (first or refresh) is answered once the window has passed', async (t) => {
  for (const ms of await registerTime(300, t)) assert.ok(ms >= 295, `answered after ${ms.toFixed(1)} ms`);
});

test('--commit-window 0: a REGISTER is answered as soon as its turn of the event loop commits', async (t) => {
  for (const ms of await registerTime(0, t)) assert.ok(ms < 250, `answered after ${ms.toFixed(1)} ms`);
});
