// sipsak (Debian sipsak), another real third-party UAC: its OPTIONS ping must get 200 over UDP and
// TCP (sipsak has no IPv6). It sends from another port than its Via says: rport must make it work.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freeFourDigitPort } from '../helpers/free-port.js';
import { requirePeer, SIPSAK } from '../helpers/peers.js';
import { runPeer } from '../helpers/run-peer.js';
import { startServer, type RunningServer } from '../helpers/server.js';

describe('sipsak OPTIONS against simplesip server', () => {
  let sipsak: string;
  let srv: RunningServer;
  before(async () => {
    sipsak = requirePeer(SIPSAK);
    const port = await freeFourDigitPort();
    srv = await startServer({ listen: [`udp:*:${port}`, `tcp:*:${port}`] });
  });
  after(() => srv.stop());

  for (const transport of ['udp', 'tcp'] as const) {
    test(transport, async () => {
      const r = await runPeer(sipsak, ['-vv', '-s', `sip:127.0.0.1:${srv.port(transport)}`, '-H', '127.0.0.1', '-E', transport],
        { timeoutMs: 15000 });
      // sipsak's exit status: 0 = a 200 was received (man sipsak).
      assert.equal(r.status, 0, `sipsak failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /SIP\/2\.0 200 OK/);
    });
  }
});
