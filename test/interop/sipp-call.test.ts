// SIPp's built-in uac calls SIPp's built-in uas through simplesip (RFC 3261 16): the uac sends its ACK
// and BYE to the INVITE's Request-URI, the callee's AOR (sip:bobs@server), with no route set. Both
// are requests for a user of ours and go to her binding (16.5): the ACK of the 2xx like the BYE.
// The uas fails its call unless the ACK comes before the BYE.
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../helpers/free-port.js';
import { requirePeer, SIPP } from '../helpers/peers.js';
import { runPeer } from '../helpers/run-peer.js';
import { startServer, type RunningServer } from '../helpers/server.js';

/** REGISTERs `user` from 127.0.0.1:port over UDP (the binding's source is that port), then frees the port. */
async function registerFrom(port: number, user: string, serverPort: number): Promise<void> {
  const sock = createSocket('udp4');
  try {
    await new Promise<void>((resolve) => sock.bind(port, '127.0.0.1', resolve));
    const answer = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to the REGISTER within 3 s')), 3000);
      sock.once('message', (data) => { clearTimeout(timer); resolve(data.toString()); });
    });
    sock.send([
      'REGISTER sip:127.0.0.1 SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKreg${port};rport`,
      'Max-Forwards: 70',
      `From: <sip:${user}@127.0.0.1>;tag=r${port}`,
      `To: <sip:${user}@127.0.0.1>`,
      `Call-ID: reg-${port}@127.0.0.1`,
      'CSeq: 1 REGISTER',
      `Contact: <sip:${user}@127.0.0.1:${port}>`,
      'Expires: 300',
      'Content-Length: 0',
      '', '',
    ].join('\r\n'), serverPort, '127.0.0.1');
    assert.match(await answer, /^SIP\/2\.0 200 /);
  } finally {
    await new Promise<void>((resolve) => sock.close(() => resolve()));
  }
}

/** Resolves once some process holds UDP 127.0.0.1:port (SIPp tells nothing when its socket is up). */
async function untilBound(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createSocket('udp4');
      probe.once('error', () => resolve(false));
      probe.bind(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (!free) return;
    if (Date.now() > deadline) throw new Error(`nothing bound UDP port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SIPp uac -> simplesip -> SIPp uas: ACK and BYE for the AOR', () => {
  let sipp: string;
  let srv: RunningServer;
  let dir: string;
  before(async () => {
    sipp = requirePeer(SIPP);
    dir = mkdtempSync(join(tmpdir(), 'sipp-call-'));
    // SIPp's uac does not answer a 407: its calls come from a user we need not authenticate.
    srv = await startServer({ listen: ['udp:127.0.0.1:0'], probeIntervalSeconds: 0, auth: false });
  });
  after(async () => {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the uas gets INVITE, ACK and BYE; both calls succeed', async () => {
    const server = `127.0.0.1:${srv.port('udp')}`;
    const uasPort = await freePort('127.0.0.1');
    await registerFrom(uasPort, 'bobs', srv.port('udp'));
    const uas = runPeer(sipp, [
      '-sn', 'uas', '-i', '127.0.0.1', '-p', String(uasPort), '-t', 'u1', '-m', '1',
      '-nostdin', '-timeout', '15s', '-timeout_error', '-trace_msg', '-message_file', join(dir, 'uas_msgs.log'),
    ], { cwd: dir, timeoutMs: 30000 });
    await untilBound(uasPort);
    const uac = await runPeer(sipp, [
      server, '-sn', 'uac', '-s', 'bobs', '-i', '127.0.0.1', '-p', String(await freePort('127.0.0.1')), '-t', 'u1', '-m', '1',
      '-nostdin', '-timeout', '10s', '-timeout_error',
    ], { cwd: dir, timeoutMs: 20000 });
    const done = await uas;
    const trace = readFileSync(join(dir, 'uas_msgs.log'), { encoding: 'utf8', flag: 'a+' });
    const received = [...trace.matchAll(/^(INVITE|ACK|BYE) sip:\S+ SIP\/2\.0\r?$/gm)].map((m) => m[1]);
    assert.deepEqual(received, ['INVITE', 'ACK', 'BYE'], 'the uas got the ACK of its 200 before the BYE');
    assert.equal(uac.status, 0, `the uac's sipp failed:\n${uac.stdout.slice(-1500)}\n${uac.stderr}`);
    assert.equal(done.status, 0, `the uas's sipp failed:\n${done.stdout.slice(-1500)}\n${done.stderr}`);
  });
});
