// The control API answers only the server's own user and root (src/control/peer-user.ts): who owns
// the caller's end of a loopback connection comes from /proc/net/tcp and tcp6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { ControlServer } from '../../src/control/control-server.js';
import { mayControl, peerUid } from '../../src/control/peer-user.js';
import { fakeContext } from './fake-context.js';
import { call } from './http.js';

/** A real loopback connection: the server's view of the caller, as the control server sees it. */
async function callerSeenFrom(host: string): Promise<{ endpoints: Parameters<typeof peerUid>[0]; close(): void }> {
  const accepted: Socket[] = [];
  const server = createServer((s) => accepted.push(s));
  server.listen(0, host);
  await once(server, 'listening');
  const client = connect({ host, port: (server.address() as { port: number }).port });
  await once(client, 'connect');
  while (accepted.length === 0) await new Promise((resolve) => setImmediate(resolve));
  const s = accepted[0];
  return {
    endpoints: { peerAddress: s.remoteAddress as string, peerPort: s.remotePort as number, localAddress: s.localAddress as string, localPort: s.localPort as number },
    close: () => { client.destroy(); s.destroy(); server.close(); },
  };
}

test('the kernel names this process\'s uid as the owner of a loopback connection, IPv4 and IPv6', async () => {
  for (const host of ['127.0.0.1', '::1']) {
    const c = await callerSeenFrom(host);
    try {
      assert.equal(await peerUid(c.endpoints), process.getuid?.(), host);
      assert.equal(await peerUid({ ...c.endpoints, peerPort: c.endpoints.peerPort === 1 ? 2 : 1 }), null, `${host}: another port is no connection`);
    } finally {
      c.close();
    }
  }
});

test('tables written in either table: an IPv4 caller of a dual-stack socket is found in tcp6 as ::ffff:', async () => {
  const table = (name: string): Promise<string> => Promise.resolve(name === 'tcp6'
    // ::ffff:127.0.0.1 port 0xA1B2 -> 127.0.0.1 port 5099 (0x13EB), uid 1001
    ? '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
      '   0: 0000000000000000FFFF00000100007F:A1B2 0000000000000000FFFF00000100007F:13EB 01 00000000:00000000 00:00000000 00000000  1001        0 1\n'
    : '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n');
  assert.equal(await peerUid({ peerAddress: '127.0.0.1', peerPort: 0xa1b2, localAddress: '127.0.0.1', localPort: 5099 }, table), 1001);
  assert.equal(await peerUid({ peerAddress: '127.0.0.1', peerPort: 0xa1b3, localAddress: '127.0.0.1', localPort: 5099 }, table), null);
  assert.equal(await peerUid({ peerAddress: '127.0.0.1', peerPort: 1, localAddress: '127.0.0.1', localPort: 2 }, () => Promise.reject(new Error('ENOENT'))),
    undefined, 'no tables (not Linux): the kernel does not say');
});

test('mayControl: the server\'s own user and root', () => {
  assert.equal(mayControl(1000, 1000), true);
  assert.equal(mayControl(0, 1000), true);
  assert.equal(mayControl(1001, 1000), false);
});

test('another local user gets 403 saying who may, on every route but /metrics', async () => {
  const server = new ControlServer(fakeContext(), { serverUid: 1000, peerUid: async () => 1001 });
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  try {
    for (const [method, path] of [['GET', '/stats'], ['GET', '/ul'], ['GET', '/users'], ['DELETE', '/ul/sip%3Aalice%40example.com']]) {
      const answer = await call(port, method, path);
      assert.equal(answer.status, 403, path);
      assert.match(answer.text, /the control API answers only the server's user \(uid 1000\) and root, not uid 1001/);
    }
    assert.equal((await call(port, 'GET', '/metrics')).status, 200, 'metrics stay open to every local user');
  } finally {
    await server.close();
  }
  const own = new ControlServer(fakeContext(), { serverUid: 1000, peerUid: async () => 1000 });
  const ownPort = (await own.listen({ host: '127.0.0.1', port: 0 })).port;
  try {
    assert.equal((await call(ownPort, 'GET', '/stats')).status, 200);
  } finally {
    await own.close();
  }
});

test('ctl run by another user (nobody) against a root server: exit 6 with the reason; the server\'s user is answered', { skip: process.getuid?.() !== 0 && 'needs root to run ctl as nobody' }, async () => {
  const server = new ControlServer(fakeContext());
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  try {
    const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
    const child = spawn(process.execPath, [cli, 'ctl', 'stats', '--control', `127.0.0.1:${port}`], { uid: 65534, gid: 65534 });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const [status] = await once(child, 'close') as [number | null];
    assert.equal(status, 6, stderr);
    assert.match(stderr, /answers only the server's user \(uid 0\) and root, not uid 65534/);
  } finally {
    await server.close();
  }
});
