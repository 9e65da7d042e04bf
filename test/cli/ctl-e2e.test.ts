// ctl against a real server: a REGISTER from a raw UDP client shows up in `ctl ul show --json`
// with the socket as bound and the address it really came from (never ::ffff:); `simplesip server
// --control` as an operator runs it.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlServer } from '../../src/control/control-server.js';
import type { BindingView } from '../../src/control/binding-view.js';
import { outputUntil, spawnCli } from '../helpers/cli-process.js';
import { RawUdpPeer, sipText } from '../helpers/raw-client.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { startClient } from '../client/cli-run.js';
import { runCtl } from './ctl-run.js';

function registerRequest(serverPort: number, peer: RawUdpPeer, user: string): string {
  const contact = `sip:${user}@127.0.0.1:${peer.port}`;
  return sipText([
    `REGISTER sip:127.0.0.1:${serverPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
    'Max-Forwards: 70',
    `To: <sip:${user}@127.0.0.1>`,
    `From: <sip:${user}@127.0.0.1>;tag=${Math.random().toString(36).slice(2)}`,
    `Call-ID: ${user}-reg@127.0.0.1`,
    'CSeq: 1 REGISTER',
    `Contact: <${contact}>;expires=300`,
    'User-Agent: ctl-e2e',
    'Expires: 300',
    'Content-Length: 0',
  ]);
}

async function withControl(running: RunningServer, body: (control: string) => Promise<void>): Promise<void> {
  const control = new ControlServer(running.server.controlContext());
  const { port } = await control.listen({ host: '127.0.0.1', port: 0 });
  try {
    await body(`127.0.0.1:${port}`);
  } finally {
    await control.close();
    await running.stop();
  }
}

for (const listen of ['udp:127.0.0.1:0', 'udp:*:0']) {
  test(`a REGISTER over ${listen} shows in ctl ul show --json with the real socket and source, then ul rm removes it`, async () => {
    const running = await startServer({ auth: false, listen: [listen] });
    await withControl(running, async (control) => {
      const port = running.port('udp');
      const peer = await RawUdpPeer.open('127.0.0.1');
      const peerPort = peer.port;
      try {
        peer.send(registerRequest(port, peer, 'alice'), port, '127.0.0.1');
        const reply = (await peer.receive(3000))?.toString() ?? '';
        assert.match(reply, /^SIP\/2\.0 200 /);
      } finally {
        peer.close();
      }
      const r = await runCtl(['ul', 'show', '--json', '--control', control]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /::ffff:/);
      const lines = r.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 1);
      const b = JSON.parse(lines[0]) as BindingView;
      assert.equal(b.aor, 'sip:alice@127.0.0.1');
      assert.equal(b.contact, `sip:alice@127.0.0.1:${peerPort}`);
      assert.equal(b.socket, listen === 'udp:*:0' ? `udp:[::]:${port}` : `udp:127.0.0.1:${port}`);
      assert.equal(b.received, `udp:127.0.0.1:${peerPort}`);
      assert.equal(b.userAgent, 'ctl-e2e');
      assert.equal(b.callId, 'alice-reg@127.0.0.1');
      assert.equal(b.cseq, 1);
      assert.equal(b.state, 'active');
      assert.ok(b.expires > 290 && b.expires <= 300, `expires ${b.expires}`);

      const stats = JSON.parse((await runCtl(['stats', '--json', '--control', control])).stdout) as { bindings: number; registrationsAccepted: number };
      assert.equal(stats.bindings, 1);
      assert.equal(stats.registrationsAccepted, 1);

      const rm = await runCtl(['ul', 'rm', 'alice@127.0.0.1', '--control', control]);
      assert.equal(rm.code, 0, rm.stderr);
      assert.deepEqual(running.server.location.lookup('sip:alice@127.0.0.1'), []);
    });
  });
}

test('ctl user add reaches the server\'s user directory', async () => {
  const running = await startServer({ auth: true });
  await withControl(running, async (control) => {
    const add = await runCtl(['user', 'add', 'bob@example.com', '--control', control], { stdin: 'pw\n' });
    assert.equal(add.code, 0, add.stderr);
    const list = await runCtl(['user', 'list', '--json', '--control', control]);
    assert.deepEqual((JSON.parse(list.stdout) as Array<{ user: string }>).map((u) => u.user), ['bob@example.com']);
    assert.equal((await runCtl(['user', 'add', 'bob@example.com', 'again', '--control', control])).code, 4);
  });
});

// README "simplesip ctl": a user's domain is keyed as the AOR's host is (RFC 3261 19.1.4): an IPv6
// address in any spelling is one domain, an IPv4-mapped one the IPv4 address. They were keyed by the
// text: u1@0:0:0:0:0:0:0:1 and u1@::1 were two users of one AOR, and u2@::ffff:127.0.0.1 (listed so)
// could never register (the realm is 127.0.0.1).
test('ctl user add keys a user by the canonical domain: one user per AOR, no ::ffff:, and he registers', async () => {
  const running = await startServer({ auth: true, listen: ['udp:127.0.0.1:0', 'udp:[::1]:0'], probeIntervalSeconds: 0 });
  await withControl(running, async (control) => {
    const u1 = await runCtl(['user', 'add', 'u1@[0:0:0:0:0:0:0:1]', 'pw1', '--control', control]);
    assert.equal(u1.code, 0, u1.stderr);
    assert.equal(u1.stdout, 'added u1@::1\n');
    const again = await runCtl(['user', 'add', 'u1@::1', 'other', '--control', control]);
    assert.equal(again.code, 4, 'u1@::1 exists: the same user');
    const u2 = await runCtl(['user', 'add', 'u2@[::ffff:127.0.0.1]', 'pw2', '--control', control]);
    assert.equal(u2.code, 0, u2.stderr);
    assert.equal(u2.stdout, 'added u2@127.0.0.1\n');
    const list = await runCtl(['user', 'list', '--json', '--control', control]);
    assert.deepEqual((JSON.parse(list.stdout) as Array<{ user: string }>).map((u) => u.user), ['u2@127.0.0.1', 'u1@::1']);
    const text = await runCtl(['user', 'list', '--control', control]);
    assert.doesNotMatch(text.stdout, /::ffff:|0:0:0/);

    const c = startClient(['register', '--json', '--user', 'sip:u2@[::ffff:127.0.0.1]', '--server', `sip:127.0.0.1:${running.port('udp')}`, '--local-ports', '0'],
      { SIMPLESIP_PASSWORD: 'pw2' });
    try {
      await c.line(/"event":"registered"/);
      assert.equal(running.server.location.lookup('sip:u2@127.0.0.1').length, 1);
    } finally {
      c.child.kill('SIGTERM');
      await c.exited;
    }
  });
});

/** `simplesip server ...` in a scratch directory (its data directory is relative). */
function spawnServer(args: string[], cwd: string): ChildProcessWithoutNullStreams {
  return spawnCli(['server', ...args], cwd);
}

test('simplesip server --control prints the control address, ctl reaches it, SIGTERM stops both', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-ctl-'));
  const child = spawnServer(['--listen', 'udp:127.0.0.1:0', '--control', '127.0.0.1:0', '--log-level', 'silent'], dir);
  try {
    const out = await outputUntil(child, /control API on 127\.0\.0\.1:\d+\n/);
    const control = /control API on (127\.0\.0\.1:\d+)/.exec(out)?.[1];
    assert.ok(control, out);
    const stats = await runCtl(['stats', '--control', control]);
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, /^listeners +udp 127\.0\.0\.1:\d+ \(IPv4 only\)$/m);
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exit, 0);
    assert.equal((await runCtl(['stats', '--control', control])).code, 3);
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('simplesip server refuses a control address that is not loopback', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-ctl-'));
  try {
    for (const address of ['0.0.0.0:5099', '[::]:5099']) {
      const child = spawnServer(['--listen', 'udp:127.0.0.1:0', '--control', address, '--log-level', 'silent'], dir);
      const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const out = await outputUntil(child, /loopback only/);
      assert.equal(await exit, 1);
      assert.match(out, /--control.*no authentication and listens on loopback only \(127\.0\.0\.1, ::1 or localhost\)/);
      assert.doesNotMatch(out, /listening on/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
