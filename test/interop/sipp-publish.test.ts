// SIPp (Debian sip-tester) drives the PUBLISH error cases of RFC 3903 6 against the presence agent
// (scenarios/publish_errors.xml: 489 with Allow-Events, 423 with Min-Expires, 412, then publish and
// remove by entity-tag) over UDP and TCP, IPv4 and IPv6. SIPp runs asynchronously (runPeer): the
// server lives in this process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../helpers/free-port.js';
import { requirePeer, SIPP } from '../helpers/peers.js';
import { runPeer } from '../helpers/run-peer.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const scenario = join(import.meta.dirname, 'scenarios', 'publish_errors.xml');

describe('SIPp PUBLISH 489/423/412 against simplesip server', () => {
  let sipp: string;
  let srv: RunningServer;
  before(async () => {
    sipp = requirePeer(SIPP);
    srv = await startServer({ listen: ['udp:*:0', 'tcp:*:0'], auth: false, probeIntervalSeconds: 0, minExpires: 60 });
  });
  after(() => srv.stop());

  for (const transport of ['udp', 'tcp'] as const) {
    for (const host of ['127.0.0.1', '::1']) {
      test(`${transport} ${host}`, async () => {
        const localPort = await freePort(host);
        const hostPort = host.includes(':') ? `[${host}]:${srv.port(transport)}` : `${host}:${srv.port(transport)}`;
        const dir = mkdtempSync(join(tmpdir(), 'sipp-pub-'));
        try {
          const r = await runPeer(sipp, [
            hostPort, '-sf', scenario, '-s', 'sipppub', '-m', '1', '-i', host, '-p', String(localPort),
            '-t', transport === 'udp' ? 'u1' : 't1', '-nostdin', '-timeout', '15s', '-timeout_error',
            '-trace_err', '-error_file', join(dir, 'err.log'),
          ], { cwd: dir, timeoutMs: 25000 });
          assert.equal(r.status, 0, `sipp failed (exit ${r.status}):\n${r.stdout.slice(-2000)}\n${r.stderr}`);
          assert.match(r.stdout, /Successful call\s+\|\s+\d+\s+\|\s+1/);
          const aor = host.includes(':') ? `sip:sipppub@[${host}]` : `sip:sipppub@${host}`;
          assert.equal(srv.server.controlContext().presence?.show(aor).publications.length, 0, 'the publication was removed');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});
