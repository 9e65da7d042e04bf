// RFC 5658 on the default dual-stack socket (udp:*): a UDP request that comes in over IPv4 and leaves
// over IPv6 (or the reverse) gets two Record-Route entries, each naming an address of ours in the
// family of the side that will use it. A wildcard UDP socket does not report which local address a
// datagram reached, so the inbound entry is built from the sender's family, never the outbound's.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint, uasRouteSet } from '../helpers/sip-endpoint.js';

describe('Record-Route across address families on udp:* (auth off)', () => {
  let srv: RunningServer;
  const peers: SipEndpoint[] = [];
  const open = async (host: string): Promise<SipEndpoint> => {
    const p = await SipEndpoint.open('udp', host, srv.port('udp'));
    peers.push(p);
    return p;
  };

  before(async () => {
    srv = await startServer({ listen: ['udp:*:0'], domains: ['example.com'], probeIntervalSeconds: 0, auth: false, t1Ms: 40 });
  });
  after(async () => {
    for (const p of peers) p.close();
    await srv.stop();
  });

  for (const [callerHost, calleeHost, callerSide, calleeSide] of [
    ['127.0.0.1', '::1', '127.0.0.1', '[::1]'],
    ['::1', '127.0.0.1', '[::1]', '127.0.0.1'],
  ]) {
    test(`caller on ${callerHost}, callee on ${calleeHost}: two entries, each in its side's family`, async () => {
      const caller = await open(callerHost);
      const callee = await open(calleeHost);
      const user = `u${newTag()}`;
      assert.equal((await callee.register(user)).status, 200);
      const invite = {
        method: 'INVITE', uri: `sip:${user}@example.com`, from: 'sip:alice@example.com', to: `sip:${user}@example.com`,
        fromTag: newTag(), callId: newCallId(), cseq: 1, contact: true,
      };
      caller.sendRequest(invite);
      const inv = await callee.nextRequest('INVITE');
      const port = srv.port('udp');
      // The callee's route set is the Record-Route in order: its own side first (RFC 5658 4).
      assert.deepEqual(uasRouteSet(inv).map((r) => r.replace(/;ss-dlg=[\w-]+/, '')), [
        `<sip:${calleeSide}:${port};lr>`, `<sip:${callerSide}:${port};lr>`,
      ]);
      callee.respond(inv, 486, { toTag: newTag() });
      const busy = await caller.nextResponse('INVITE', 486, 486);
      caller.ackNon2xx(invite, busy);
    });
  }
});
