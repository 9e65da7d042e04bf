// SIPp UAC -> simplesip -> SIPp UAS, over UDP and TCP (scenarios from /work/shared/peers/sipp): bob
// registers with digest and answers MESSAGEs out of call (reg_recv.xml + msg_ooc.xml); alice sends
// one MESSAGE with digest (msg_send.xml). Both SIPp runs must succeed and bob must log the body.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../helpers/free-port.js';
import { requirePeer, SIPP } from '../helpers/peers.js';
import { runPeer } from '../helpers/run-peer.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const scenarios = join(import.meta.dirname, 'scenarios');

describe('SIPp MESSAGE through simplesip', () => {
  let sipp: string;
  let srv: RunningServer;
  before(async () => {
    sipp = requirePeer(SIPP);
    srv = await startServer({ listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], probeIntervalSeconds: 0 });
    for (const user of ['alice', 'bob']) await srv.server.users.add(user, '127.0.0.1', `${user}-secret`);
  });
  after(() => srv.stop());

  for (const transport of ['udp', 'tcp'] as const) {
    test(transport, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sipp-msg-'));
      try {
        const target = `127.0.0.1:${srv.port(transport)}`;
        const t = transport === 'udp' ? 'u1' : 't1';
        const bobPort = await freePort('127.0.0.1');
        const registered = new Promise<void>((resolve) => {
          const onChange = (c: { type: string; binding: { aor: string } }): void => {
            if (c.type === 'added' && c.binding.aor === 'sip:bob@127.0.0.1') {
              srv.server.location.off('change', onChange);
              resolve();
            }
          };
          srv.server.location.on('change', onChange);
        });
        const bob = runPeer(sipp, [
          target, '-sf', join(scenarios, 'reg_recv.xml'), '-oocsf', join(scenarios, 'msg_ooc.xml'), '-s', 'bob',
          '-au', 'bob', '-ap', 'bob-secret', '-i', '127.0.0.1', '-p', String(bobPort), '-t', t, '-m', '1', '-d', '2500',
          '-nostdin', '-timeout', '20s', '-timeout_error', '-trace_logs', '-log_file', join(dir, 'bob_logs.log'),
        ], { cwd: dir, timeoutMs: 30000 });
        await registered;
        const alice = await runPeer(sipp, [
          target, '-sf', join(scenarios, 'msg_send.xml'), '-s', 'bob', '-key', 'from', 'alice', '-key', 'body', `hello bob over ${transport}`,
          // SIPp's digest uri is the server's host:port unless told (RFC 2617 3.2.2.5 wants the Request-URI).
          '-au', 'alice', '-ap', 'alice-secret', '-auth_uri', `bob@${target}`, '-i', '127.0.0.1', '-p', String(await freePort('127.0.0.1')), '-t', t, '-m', '1',
          '-nostdin', '-timeout', '10s', '-timeout_error',
        ], { cwd: dir, timeoutMs: 20000 });
        assert.equal(alice.status, 0, `alice's sipp failed:\n${alice.stdout.slice(-1500)}\n${alice.stderr}`);
        const b = await bob;
        assert.equal(b.status, 0, `bob's sipp failed:\n${b.stdout.slice(-1500)}\n${b.stderr}`);
        assert.match(readFileSync(join(dir, 'bob_logs.log'), 'utf8'), new RegExp(`GOT-MESSAGE from=.*alice.* body=.*hello bob over ${transport}`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
