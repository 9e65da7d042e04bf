// The offline store is durable: a message answered 202 survives a SIGKILL of the server (sqlite in a
// temporary --data directory) and is delivered once its recipient registers after the restart.
// `ctl msg list` / `ctl msg rm` and the counts in `ctl stats` are checked on the way.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCtl } from '../cli/ctl-run.js';
import { startCliServer } from '../helpers/cli-process.js';
import { freePort } from '../helpers/free-port.js';
import { SipEndpoint } from '../helpers/sip-endpoint.js';
import { receiveMessage, sendMessage } from './message-helpers.js';

const root = join(import.meta.dirname, '..', '..');

async function startCli(dataDir: string, sipPort: number, controlPort: number): Promise<ChildProcessWithoutNullStreams> {
  return startCliServer(['--listen', `udp:127.0.0.1:${sipPort}`,
    '--domain', 'example.com', '--auth', 'off', '--store', 'sqlite', '--data', dataDir, '--log-level', 'error',
    '--control', `127.0.0.1:${controlPort}`, '--probe-interval', '0'], root);
}

test('a stored message survives SIGKILL and is delivered after the restart; ctl msg list/rm and stats', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'offline-restart-'));
  const sipPort = await freePort('127.0.0.1');
  const controlPort = await freePort('127.0.0.1');
  const control = `127.0.0.1:${controlPort}`;
  let server = await startCli(dir, sipPort, controlPort);
  const clients: SipEndpoint[] = [];
  t.after(() => {
    for (const c of clients) c.close();
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  // With --auth off a user without record nor binding is unknown (404): bob gets a record.
  assert.equal((await runCtl(['--control', control, 'user', 'add', 'bob@example.com', 'bob-secret'])).code, 0);
  const alice = await SipEndpoint.open('udp', '127.0.0.1', sipPort);
  clients.push(alice);
  for (const body of ['kept across a crash', 'removed by the operator']) {
    const r = await sendMessage(alice, { from: 'alice', to: 'bob', body });
    assert.equal(r.status, 202, `${r.status} ${r.reason}`);
  }
  const listed = await runCtl(['--control', control, 'msg', 'list', 'sip:bob@example.com', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const messages = JSON.parse(listed.stdout) as Array<{ id: number; body: string; from: string }>;
  assert.deepEqual(messages.map((m) => m.body), ['kept across a crash', 'removed by the operator']);
  assert.match(messages[0].from, /^<sip:alice@example\.com>$/);
  const rm = await runCtl(['--control', control, 'msg', 'rm', String(messages[1].id)]);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal((await runCtl(['--control', control, 'msg', 'rm', String(messages[1].id)])).code, 1, 'gone: exit 1');
  const text = await runCtl(['--control', control, 'msg', 'list']);
  assert.match(text.stdout, /1 stored message\n$/);
  const stats = JSON.parse((await runCtl(['--control', control, 'stats', '--json'])).stdout) as { offlineMessages: number; messagesStored: number };
  assert.equal(stats.offlineMessages, 1);
  assert.equal(stats.messagesStored, 2);

  server.kill('SIGKILL');
  await new Promise((resolve) => server.once('exit', resolve));
  server = await startCli(dir, sipPort, controlPort);
  // The restarted server loaded no bodies: the listing reads them from the database.
  const restored = JSON.parse((await runCtl(['--control', control, 'msg', 'list', '--json'])).stdout) as Array<{ body: string; bytes: number }>;
  assert.deepEqual(restored.map((m) => [m.body, m.bytes]), [['kept across a crash', 19]]);

  const bob = await SipEndpoint.open('udp', '127.0.0.1', sipPort);
  clients.push(bob);
  assert.equal((await bob.register('bob', undefined, { expires: 300 })).status, 200);
  const got = await receiveMessage(bob, 200, 8000);
  assert.equal(got.body.toString(), 'kept across a crash');
  assert.ok(got.date() !== undefined, 'Date header of the original time');
  await new Promise((r) => setTimeout(r, 300));
  const after = JSON.parse((await runCtl(['--control', control, 'msg', 'list', '--json'])).stdout) as unknown[];
  assert.equal(after.length, 0, 'removed after the 2xx');
});
