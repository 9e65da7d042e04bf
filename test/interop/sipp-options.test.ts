// SIPp (Debian sip-tester), a real third-party UAC, sends OPTIONS and must get 200 OK with Allow,
// over UDP and TCP, IPv4 and IPv6, to one dual-stack server.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../helpers/free-port.js';
import { requirePeer, SIPP } from '../helpers/peers.js';
import { runPeer } from '../helpers/run-peer.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const scenario = join(import.meta.dirname, 'scenarios', 'options.xml');

describe('SIPp OPTIONS against simplesip server', () => {
  let sipp: string;
  let srv: RunningServer;
  before(async () => {
    sipp = requirePeer(SIPP);
    srv = await startServer({ listen: ['udp:*:0', 'tcp:*:0'] });
  });
  after(() => srv.stop());

  for (const transport of ['udp', 'tcp'] as const) {
    for (const host of ['127.0.0.1', '::1']) {
      test(`${transport} ${host}`, async () => {
        const localPort = await freePort(host);
        const target = host.includes(':') ? `[${host}]:${srv.port(transport)}` : `${host}:${srv.port(transport)}`;
        const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
        const r = await runPeer(sipp, [
          target, '-sf', scenario, '-m', '1', '-i', host, '-p', String(localPort),
          '-t', transport === 'udp' ? 'u1' : 't1', '-nostdin', '-timeout', '10s', '-timeout_error',
          '-trace_err', '-error_file', join(dir, 'err.log'),
        ], { cwd: dir, timeoutMs: 20000 });
        assert.equal(r.status, 0, `sipp failed (exit ${r.status}):\n${r.stdout.slice(-2000)}\n${r.stderr}`);
        assert.match(r.stdout, /Successful call\s+\|\s+\d+\s+\|\s+1/);
      });
    }
  }
});
