// Issue 5, client compatibility: finch (libpurple SIMPLE) shows buddies online/offline correctly
// through simplesip's presence agent, and a finch that goes away is seen offline by its watchers:
//  - finch watches a simplesip client user (carol): offline before she registers, online once she
//    registers and publishes open, offline for a published closed, offline again when she closes
//    (un-PUBLISH, un-REGISTER);
//  - a simplesip client (bob) watches finch (alice): open while finch runs, closed right after a
//    clean quit (finch PUBLISHes closed and un-REGISTERs), and after SIGKILL closed within the
//    dead-contact bound the README promises (UDP: OPTIONS probing, here --probe-interval 1 and
//    T1 = 50 ms; TCP: the connection closes and the binding goes with it).
// Composition (src/presence/composition.ts): no binding means closed whatever was published, so a
// killed finch's publication (600 s) does not keep it online.
//
// Both directions over both transports. Over TCP prpl-simple handles at most one SIP message per
// read() (peers README, finch quirks): the NOTIFY the server writes right behind the 200 to finch's
// SUBSCRIBE used to wait in finch's buffer (finch showed carol offline after she had published open,
// in about 1 run of 6). The transport now paces its writes to a `Purple/` peer
// (src/transport/one-message-per-read.ts), and "finch watches" runs over TCP too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserAgent } from '../../src/index.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { FinchPeer, requireFinch } from './lib/finch.js';
import { deadContactBoundMs } from './lib/timing.js';
import { peerShows, walkPresence, watcherSees } from './lib/watch-steps.js';

const PROBE_INTERVAL_S = 1;
const T1_MS = 50;
const ALICE = 'sip:alice@127.0.0.1';

for (const transport of ['udp', 'tcp'] as const) {
  describe(`finch presence through simplesip (${transport})`, () => {
    let srv: RunningServer;
    const peers: FinchPeer[] = [];
    const uas: UserAgent[] = [];

    before(async () => {
      requireFinch();
      srv = await startServer({ listen: ['udp:*:0', 'tcp:*:0'], probeIntervalSeconds: PROBE_INTERVAL_S, t1Ms: T1_MS });
      for (const user of ['alice', 'bob', 'carol']) await srv.server.users.add(user, '127.0.0.1', `${user}-secret`);
    });
    after(async () => {
      for (const p of peers) await p.stop();
      for (const ua of uas) await ua.close();
      await srv?.stop();
    });

    function client(user: string): UserAgent {
      const ua = new UserAgent({
        aor: `sip:${user}@127.0.0.1`, password: `${user}-secret`, server: `sip:127.0.0.1:${srv.port(transport)};transport=${transport}`,
        localPorts: { min: 0, max: 0 }, stateDir: mkdtempSync(join(tmpdir(), `finch-presence-${user}-`)), networkCheckIntervalMs: 0, closeTimeoutMs: 1000,
      });
      uas.push(ua);
      return ua;
    }

    async function startFinch(buddies: string[] = []): Promise<FinchPeer> {
      const finch = await FinchPeer.start('alice', 'alice-secret', srv.port(transport), transport, buddies);
      peers.push(finch);
      return finch;
    }

    function finchSees(finch: FinchPeer, state: 'online' | 'offline', timeoutMs: number, what: string): Promise<void> {
      return peerShows('finch, for carol,', () => finch.buddy('carol'), state, timeoutMs, what, () => finch.debugLog());
    }

    test('finch watches a simplesip client: offline, online when she registers and publishes open, offline when she closes', async () => {
      const finch = await startFinch(['carol']);
      const carol = client('carol');
      try {
        await walkPresence(carol, (online, what) => finchSees(finch, online ? 'online' : 'offline', 5000, `carol ${what}`));
      } finally {
        await carol.close();
        await finch.quit();
      }
    });

    test('a simplesip client watches finch: open while it runs, closed right after it quits', async () => {
      const bob = client('bob');
      await bob.register();
      await bob.subscribe(ALICE);
      await watcherSees(bob, ALICE, 'closed', 3000, 'finch not started');
      const finch = await startFinch();
      await watcherSees(bob, ALICE, 'open', 5000, 'finch running');
      await finch.quit();
      const took = await watcherSees(bob, ALICE, 'closed', 2000, 'finch quit');
      assert.ok(took < 1000, `closed seen ${took} ms after finch exited`);
      await bob.close();
    });

    test('a simplesip client watches finch: after SIGKILL, closed within the dead-contact bound', async () => {
      const bob = client('bob');
      await bob.register();
      await bob.subscribe(ALICE);
      const finch = await startFinch();
      await watcherSees(bob, ALICE, 'open', 5000, 'finch running');
      const killedAt = Date.now();
      finch.kill();
      const bound = transport === 'udp' ? deadContactBoundMs(PROBE_INTERVAL_S, T1_MS) : 1000;
      await watcherSees(bob, ALICE, 'closed', bound + 1000, `finch killed (bound ${bound} ms)`);
      const took = Date.now() - killedAt;
      assert.ok(took <= bound + 500, `closed after ${took} ms, promised ${bound} ms`);
      await bob.close();
    });
  });
}
