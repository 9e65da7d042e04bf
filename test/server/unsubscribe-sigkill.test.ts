// An ended subscription stays ended across a crash: the 200 to an unsubscribe (RFC 6665 4.2.1.4)
// and the answer to `ctl user rm` go out only once the subscriptions are deleted from the store, so
// a SIGKILL the moment they arrive does not bring the subscription back after the restart (nor a new
// NOTIFY for a dialog its watcher ended). A long --commit-window makes the window between an answer
// and its commit wide enough to kill the server in it, were the answer sent first.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WatcherView } from '../../src/control/api-types.js';
import { startCliServer } from '../helpers/cli-process.js';
import { freePort } from '../helpers/free-port.js';
import { PresencePeer } from '../presence/presence-peer.js';

const root = join(import.meta.dirname, '..', '..');
const DOMAIN = 'example.com';
const BOB = `sip:bob@${DOMAIN}`;
const DAVE = `sip:dave@${DOMAIN}`;
const dir = mkdtempSync(join(tmpdir(), 'unsubscribe-sigkill-'));
let sipPort: number;
let controlPort: number;
let server: ChildProcessWithoutNullStreams | undefined;
const peers: PresencePeer[] = [];

async function start(): Promise<void> {
  server = await startCliServer(['--listen', `udp:127.0.0.1:${sipPort}`, '--domain', DOMAIN, '--auth', 'off', '--store', 'sqlite',
    '--data', dir, '--log-level', 'error', '--control', `127.0.0.1:${controlPort}`, '--probe-interval', '0', '--commit-window', '200'], root);
}

async function kill(): Promise<void> {
  const child = server as ChildProcessWithoutNullStreams;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

function control(path: string, init?: RequestInit): Promise<Response> {
  return fetch(`http://127.0.0.1:${controlPort}${path}`, init);
}

async function watchersOf(presentity: string): Promise<string[]> {
  const res = await control(`/presence/${encodeURIComponent(presentity)}/watchers`);
  assert.equal(res.status, 200);
  return ((await res.json()) as WatcherView[]).map((w) => w.watcher);
}

async function carolWatching(presentity: string): Promise<{ carol: PresencePeer; dialog: Awaited<ReturnType<PresencePeer['subscribe']>>['dialog'] }> {
  const carol = await PresencePeer.open('udp', '127.0.0.1', sipPort, 'carol', DOMAIN);
  peers.push(carol);
  const { response, dialog } = await carol.subscribe(presentity);
  assert.equal(response.status, 200);
  await carol.notify();
  assert.deepEqual(await watchersOf(presentity), [`sip:carol@${DOMAIN}`]);
  return { carol, dialog };
}

before(async () => {
  sipPort = await freePort('127.0.0.1');
  controlPort = await freePort('127.0.0.1');
  await start();
  const added = await control('/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: `dave@${DOMAIN}`, password: 'secret' }) });
  assert.equal(added.status, 201);
});

after(() => {
  for (const p of peers) p.close();
  server?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('a SIGKILL the moment the 200 to an unsubscribe arrives: the subscription does not come back', async () => {
  const { carol, dialog } = await carolWatching(BOB);
  assert.equal((await carol.resubscribe(dialog, 0)).status, 200);
  await kill();
  await start();
  assert.deepEqual(await watchersOf(BOB), []);
});

test('a SIGKILL the moment `ctl user rm` is answered: the subscriptions to him do not come back', async () => {
  await carolWatching(DAVE);
  const removed = await control(`/users/${encodeURIComponent(`dave@${DOMAIN}`)}`, { method: 'DELETE' });
  assert.equal(removed.status, 200);
  await kill();
  await start();
  assert.deepEqual(await watchersOf(DAVE), []);
});
