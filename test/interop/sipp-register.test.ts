// SIPp (Debian sip-tester) registers with digest (reg_recv.xml from /work/shared/peers: REGISTER,
// answer the 401, stay registered, un-REGISTER) over UDP and TCP, IPv4 and IPv6. While SIPp waits
// registered, the binding must be in the location service; once it exits, gone.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../helpers/free-port.js';
import { requirePeer, SIPP } from '../helpers/peers.js';
import { runPeer } from '../helpers/run-peer.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const scenario = join(import.meta.dirname, 'scenarios', 'reg_recv.xml');

describe('SIPp REGISTER with digest against simplesip server', () => {
  let sipp: string;
  let srv: RunningServer;
  before(async () => {
    sipp = requirePeer(SIPP);
    srv = await startServer({ listen: ['udp:*:0', 'tcp:*:0'], probeIntervalSeconds: 0 });
    // The scenario's AOR is sip:USER@<server address>: our addresses are served domains.
    for (const domain of ['127.0.0.1', '::1']) await srv.server.users.add('sippuser', domain, 'sipp-secret');
  });
  after(() => srv.stop());

  for (const transport of ['udp', 'tcp'] as const) {
    for (const host of ['127.0.0.1', '::1']) {
      test(`${transport} ${host}`, async () => {
        const localPort = await freePort(host);
        const hostPort = host.includes(':') ? `[${host}]:${srv.port(transport)}` : `${host}:${srv.port(transport)}`;
        const aor = host.includes(':') ? `sip:sippuser@[${host}]` : `sip:sippuser@${host}`;
        const dir = mkdtempSync(join(tmpdir(), 'sipp-reg-'));
        const seen: string[] = [];
        const onChange = (c: { type: string; binding: { aor: string; received: { port: number } } }): void => {
          if (c.binding.aor === aor && c.binding.received.port === localPort) seen.push(c.type);
        };
        srv.server.location.on('change', onChange);
        try {
          const r = await runPeer(sipp, [
            hostPort, '-sf', scenario, '-s', 'sippuser', '-au', 'sippuser', '-ap', 'sipp-secret',
            // SIPp writes an IPv6 digest uri without brackets unless told (shared/peers README, quirks).
            ...(host.includes(':') ? ['-auth_uri', hostPort] : []),
            '-m', '1', '-d', '500', '-i', host, '-p', String(localPort), '-t', transport === 'udp' ? 'u1' : 't1',
            '-nostdin', '-timeout', '15s', '-timeout_error', '-trace_err', '-error_file', join(dir, 'err.log'),
          ], { cwd: dir, timeoutMs: 25000 });
          assert.equal(r.status, 0, `sipp failed (exit ${r.status}):\n${r.stdout.slice(-2000)}\n${r.stderr}`);
          assert.match(r.stdout, /Successful call\s+\|\s+\d+\s+\|\s+1/);
        } finally {
          srv.server.location.off('change', onChange);
        }
        assert.deepEqual(seen, ['added', 'removed'], 'registered, then unregistered');
        assert.equal(srv.server.location.lookup(aor).filter((b) => b.received.port === localPort).length, 0);
      });
    }
  }
});
