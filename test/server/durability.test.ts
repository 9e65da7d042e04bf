// RFC 3261 10.3 step 8 promises the 200 OK lists the bindings as stored: kill the server with
// SIGKILL while REGISTERs pour in, restart it on the same data directory, and every REGISTER that
// got its 200 must still be there (the 200 is sent only after the group commit).
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/store/index.js';
import { outputUntil, spawnCli } from '../helpers/cli-process.js';

async function startServer(dataDir: string, extra: string[] = []): Promise<{ child: ChildProcessWithoutNullStreams; port: number }> {
  const child = spawnCli(['server', '--listen', 'udp:127.0.0.1:0', '--auth', 'off', '--store', 'sqlite', '--data', dataDir,
    '--control', '127.0.0.1:0', '--log-level', 'silent', ...extra], dataDir);
  const out = await outputUntil(child, /udp 127\.0\.0\.1:\d+/);
  const m = /udp 127\.0\.0\.1:(\d+)/.exec(out);
  if (!m) throw new Error(`server did not start: ${out}`);
  return { child, port: Number(m[1]) };
}

function register(user: string, localPort: number, cseq = 1): string {
  return [
    'REGISTER sip:127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-${user}-${cseq};rport`,
    'Max-Forwards: 70',
    `From: <sip:${user}@127.0.0.1>;tag=${user}`,
    `To: <sip:${user}@127.0.0.1>`,
    `Call-ID: durability-${user}`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${user}@127.0.0.1:${localPort}>`,
    'Expires: 3600',
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
}

// A refresh (CSeq 2, the same contact) is written as an update of its row: it must be as durable.
for (const window of [undefined, '0', '50']) {
  const flags = window === undefined ? [] : ['--commit-window', window];
  const name = window === undefined ? 'the default commit window' : `--commit-window ${window}`;
  test(`SIGKILL under REGISTER load loses no registration or refresh that got a 200 (${name})`, async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'simplesip-durability-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const { child, port } = await startServer(dataDir, flags);
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const localPort = socket.address().port;
    const acknowledged = new Set<string>();
    const refreshed = new Set<string>();
    socket.on('message', (data) => {
      const text = data.toString('latin1');
      const m = /^SIP\/2\.0 200 [\s\S]*\r\nCall-ID: durability-(u\d+)\r\nCSeq: (\d+) /.exec(text);
      if (m) (m[2] === '1' ? acknowledged : refreshed).add(m[1]);
    });

    // Keep a few hundred REGISTERs in flight, refreshes of acknowledged users among them, until
    // enough of both have been acknowledged, then kill.
    let sent = 0;
    let refreshesSent = 0;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    while (acknowledged.size < 2000 || refreshed.size < 500) {
      for (let i = 0; i < 100; i++) socket.send(register(`u${sent++}`, localPort), port, '127.0.0.1');
      for (let i = 0; i < 50 && refreshesSent < acknowledged.size; i++) {
        socket.send(register(`u${refreshesSent++}`, localPort, 2), port, '127.0.0.1');
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (sent > 200000) assert.fail(`only ${acknowledged.size} REGISTERs and ${refreshed.size} refreshes answered out of ${sent}`);
    }
    child.kill('SIGKILL');
    await exited;
    socket.close();
    const acked = [...acknowledged];
    assert.ok(acked.length < sent, 'the kill must come while REGISTERs are still unanswered');

    // The restarted server must come up on the same data (the lock is released with the process).
    const again = await startServer(dataDir);
    again.child.kill('SIGTERM');
    await new Promise<void>((resolve) => again.child.once('exit', () => resolve()));

    const store = await openStore({ kind: 'sqlite', dataDir });
    t.after(() => store.close());
    const stored = new Map((await store.bindings.all()).map((b) => [b.aor, b]));
    const lost = acked.filter((user) => !stored.has(`sip:${user}@127.0.0.1`));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged REGISTERs lost`);
    const stale = [...refreshed].filter((user) => stored.get(`sip:${user}@127.0.0.1`)?.cseq !== 2);
    assert.deepEqual(stale, [], `${stale.length} of ${refreshed.size} acknowledged refreshes lost`);
  });
}
