// A start that fails after the SIP sockets opened (here: the --control address is taken) must not
// have done anything on its own: no stored message delivered, no probe sent. Before the fix the
// server delivered its stored messages, then failed on the control address; the message stayed in
// the store (the 2xx came too late) and the device got it again from the next start (RFC 3261 8.1.3.5:
// a request that was answered must not be repeated; README "MESSAGE and the offline store": "a device
// never gets it twice after its 2xx").
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createResponse } from '../../src/sip/builder.js';
import { SipMessage } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { serialize } from '../../src/sip/serializer.js';
import { openStore } from '../../src/store/index.js';
import { outputUntil, spawnCli, startCliServer } from '../helpers/cli-process.js';
import { tempDir } from '../store/helpers.js';

const root = join(import.meta.dirname, '..', '..');
const BOB = 'sip:bob@example.com';

test('a start that fails on a taken --control address delivers no stored message; the next start delivers it once', { timeout: 30_000 }, async (t) => {
  const { dir, cleanup } = tempDir('failed-start-');
  // Bob's device: a UDP socket that answers every MESSAGE 200 and counts them.
  const device = createSocket('udp4');
  const got: string[] = [];
  device.on('message', (data, rinfo) => {
    const m = parseMessage(data);
    if (!(m instanceof SipMessage) || m.kind !== 'request' || m.method !== 'MESSAGE') return;
    got.push(m.body.toString());
    device.send(serialize(createResponse(m, 200)), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => device.bind(0, '127.0.0.1', resolve));
  const devicePort = (device.address() as AddressInfo).port;
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const taken = (blocker.address() as AddressInfo).port;
  const children: Array<ReturnType<typeof spawnCli>> = [];
  t.after(() => {
    for (const c of children) c.kill('SIGKILL');
    device.close();
    blocker.close();
    cleanup();
  });

  // What the previous run left: bob registered from the device, one message waiting for him.
  const store = await openStore({ kind: 'sqlite', dataDir: dir });
  const now = Date.now();
  await store.bindings.put({
    id: `${BOB}|sip:bob@127.0.0.1:${devicePort}`, aor: BOB, contact: `sip:bob@127.0.0.1:${devicePort}`,
    expiresAt: now + 3_600_000, callId: 'reg-1@device', cseq: 1,
    received: { protocol: 'udp', address: '127.0.0.1', port: devicePort }, socket: 'udp:127.0.0.1:5060',
    path: [], flags: [], lastModified: now, lastKeepalive: now,
  });
  await store.offlineMessages.put({ id: 1, aor: BOB, from: '<sip:alice@example.com>', receivedAt: now, expiresAt: now + 3_600_000, contentType: 'text/plain', body: Buffer.from('only once') });
  await store.close();

  const args = ['--listen', 'udp:127.0.0.1:0', '--domain', 'example.com', '--auth', 'off', '--data', dir, '--log-level', 'error', '--probe-interval', '0'];
  const failing = spawnCli(['server', ...args, '--control', `127.0.0.1:${taken}`], root);
  children.push(failing);
  const exited = new Promise<number | null>((resolve) => failing.once('exit', resolve));
  const out = await outputUntil(failing, /address already in use/);
  assert.match(out, /cannot listen for the control API on 127\.0\.0\.1:\d+: address already in use/);
  assert.notEqual(await exited, 0);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(got, [], 'the failed start sent nothing');

  children.push(await startCliServer([...args, '--control', '127.0.0.1:0'], root));
  for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(got, ['only once']);
});
