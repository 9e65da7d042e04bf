// The 2007 thread, end to end: Pidgin's libpurple SIMPLE (finch, headless) against simplesip server
// on a dual-stack socket, over UDP and over TCP (libpurple's default). Steps (issue 7):
//  1. finch registers with digest to `udp:*:PORT` / `tcp:*:PORT`;
//  2. `simplesip ctl ul show` shows the binding with the transport, the real source and the socket
//     as bound (no udp6, no ::ffff:);
//  3. finch and a simplesip client exchange messages both ways and see each other's presence
//     (over TCP too: the transport paces its writes to libpurple, see finch-presence.test.ts);
//  4. finch quits cleanly: the binding is gone at once, and its watchers see it closed at once;
//  5. finch is SIGKILLed: the binding is gone within the promised dead-contact time (UDP: OPTIONS
//     probing; TCP: the connection closes), its watchers see it closed, and a MESSAGE sent meanwhile
//     is stored offline (202, `ctl msg list`) and delivered when finch comes back.
// finch runs with its real default behaviour (no FINCH_SEED_RAND): every finch process sends the
// same Call-IDs and branches; only its port differs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../../src/control/control-server.js';
import { UserAgent, type IncomingMessage } from '../../src/index.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { runCtl } from '../cli/ctl-run.js';
import { FinchPeer, requireFinch } from './lib/finch.js';
import { deadContactBoundMs, waitFor } from './lib/timing.js';
import { watcherSees } from './lib/watch-steps.js';

const PROBE_INTERVAL_S = 1;
// Timer F = 64*T1: 3.2 s instead of 32 s, so that three unanswered probes fit in a test.
const T1_MS = 50;
// A quiet stream closes after this long without a byte from the peer (default 300 s). A quiet source
// is probed up to two probe intervals after its last answer, so the timeout must be longer than that.
const IDLE_TIMEOUT_S = 3;
const AOR = 'sip:alice@127.0.0.1';
const BOB = 'sip:bob@127.0.0.1';

for (const transport of ['udp', 'tcp'] as const) {
  describe(`founding scenario: finch over ${transport}`, () => {
    let srv: RunningServer;
    let control: ControlServer;
    let controlAddress: string;
    const peers: FinchPeer[] = [];
    const uas: UserAgent[] = [];

    before(async () => {
      requireFinch();
      srv = await startServer({ listen: [`${transport}:*:0`], probeIntervalSeconds: PROBE_INTERVAL_S, t1Ms: T1_MS, idleTimeoutSeconds: IDLE_TIMEOUT_S });
      // libpurple's AOR domain is the server's address: our own addresses are served domains.
      await srv.server.users.add('alice', '127.0.0.1', 'finch-secret');
      await srv.server.users.add('bob', '127.0.0.1', 'bob-secret');
      control = new ControlServer(srv.server.controlContext());
      const { port } = await control.listen({ host: '127.0.0.1', port: 0 });
      controlAddress = `127.0.0.1:${port}`;
    });
    after(async () => {
      for (const p of peers) await p.stop();
      for (const ua of uas) await ua.close();
      await control?.close();
      await srv?.stop();
    });

    async function startFinch(buddies: string[] = []): Promise<FinchPeer> {
      const finch = await FinchPeer.start('alice', 'finch-secret', srv.port(transport), transport, buddies);
      peers.push(finch);
      return finch;
    }

    /** bob, a simplesip client on the same transport, registered and watching alice. */
    async function startBob(): Promise<UserAgent> {
      const bob = new UserAgent({
        aor: BOB, password: 'bob-secret', server: `sip:127.0.0.1:${srv.port(transport)};transport=${transport}`,
        localPorts: { min: 0, max: 0 }, stateDir: mkdtempSync(join(tmpdir(), 'founding-bob-')), networkCheckIntervalMs: 0, closeTimeoutMs: 1000,
      });
      uas.push(bob);
      await bob.register();
      await bob.subscribe(AOR);
      return bob;
    }

    test('registers with digest; ctl ul show tells the truth about transport, source and socket', async () => {
      const finch = await startFinch();
      const r = await runCtl(['ul', 'show', AOR, '--control', controlAddress]);
      assert.equal(r.code, 0, r.stderr);
      const port = srv.port(transport);
      assert.match(r.stdout, new RegExp(`Contact: sip:alice@127\\.0\\.0\\.1:${finch.localPort};transport=${transport}`), r.stdout);
      // UDP: finch sends from its bound port; TCP: from an ephemeral port of its connection.
      const received = transport === 'udp' ? `udp:127\\.0\\.0\\.1:${finch.localPort}` : 'tcp:127\\.0\\.0\\.1:\\d+';
      assert.match(r.stdout, new RegExp(`Received:\\s+${received}\\n`), r.stdout);
      // `*` is one dual-stack socket on [::]; the IPv4 peer's address is plain IPv4 (not ::ffff:).
      assert.match(r.stdout, new RegExp(`Socket:\\s+${transport}:\\[::\\]:${port}\\n`), r.stdout);
      assert.match(r.stdout, /User-Agent:\s+Purple\/2\.\d+/);
      assert.doesNotMatch(r.stdout, /udp6|tcp6|::ffff:/i);
      const json = await runCtl(['ul', 'show', AOR, '--json', '--control', controlAddress]);
      const binding = JSON.parse(json.stdout.trim().split('\n')[0]) as { received: string; socket: string };
      assert.equal(binding.socket, `${transport}:[::]:${port}`);
      assert.match(binding.received, new RegExp(`^${received}$`));
      await finch.quit();
    });

    test('a quiet finch stays registered and online past --idle-timeout: it answers the OPTIONS probes', async () => {
      const bob = await startBob();
      const finch = await startFinch();
      try {
        await watcherSees(bob, AOR, 'open', 5000, 'finch running');
        const [{ connectionId, lastKeepalive }] = srv.server.location.lookup(AOR);
        // finch sends nothing of its own for 850 s after registering; the probes' answers are its traffic.
        await new Promise((resolve) => setTimeout(resolve, (IDLE_TIMEOUT_S + 2) * 1000));
        const after = srv.server.location.lookup(AOR);
        assert.equal(after.length, 1, `finch lost its binding while quiet\n${finch.debugLog().slice(-3000)}`);
        assert.equal(after[0].connectionId, connectionId, 'the binding moved to another connection');
        assert.ok((after[0].lastKeepalive ?? 0) > (lastKeepalive ?? 0), 'no probe answer was recorded');
        await watcherSees(bob, AOR, 'open', 1000, 'finch quiet');
      } finally {
        await finch.quit();
        await bob.close();
      }
    });

    test('step 3: finch and a simplesip client exchange messages both ways and see each other online', async () => {
      const bob = await startBob();
      await bob.setPresence({ basic: 'open', note: 'here' });
      const finch = await startFinch(['bob']);
      const r = await bob.sendMessage(AOR, 'hi alice from simplesip');
      assert.deepEqual(r, { status: 200, reason: 'OK', accepted: true });
      assert.ok(await finch.waitIm('hi alice from simplesip', 5), 'finch never showed the IM');
      const got = new Promise<IncomingMessage>((resolve) => bob.once('message', resolve));
      assert.equal((await finch.send(BOB, 'hi bob from finch')).status, 0);
      const m = await Promise.race([got, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no MESSAGE from finch within 8 s')), 8000))]);
      assert.deepEqual([m.from, m.body], [AOR, 'hi bob from finch']);
      await watcherSees(bob, AOR, 'open', 5000, 'finch running');
      await waitFor(async () => (await finch.buddy('bob')) === 'online', 5000, 'finch does not show bob online');
      await finch.quit();
      await bob.close();
    });

    test('step 4: a clean quit removes the binding at once, and the watchers see closed at once', async () => {
      const bob = await startBob();
      const finch = await startFinch();
      assert.equal(srv.server.location.lookup(AOR).length, 1);
      await watcherSees(bob, AOR, 'open', 5000, 'finch running');
      await finch.quit();
      // UDP: the un-REGISTER; TCP: libpurple may RST before writing it (peers README), and then the
      // closed connection removes the binding. Either way it is gone within a moment.
      await waitFor(() => srv.server.location.lookup(AOR).length === 0, 1000, 'binding still there after finch quit');
      const took = await watcherSees(bob, AOR, 'closed', 1000, 'finch quit');
      assert.ok(took < 1000, `closed seen ${took} ms after finch exited`);
      await bob.close();
    });

    test('step 5: SIGKILL: the binding is gone within the promised dead-contact time, watchers see closed, a MESSAGE sent meanwhile is stored and delivered later', async () => {
      const bob = await startBob();
      const finch = await startFinch();
      assert.equal(srv.server.location.lookup(AOR).length, 1);
      await watcherSees(bob, AOR, 'open', 5000, 'finch running');
      const killedAt = Date.now();
      finch.kill();
      const bound = transport === 'udp' ? deadContactBoundMs(PROBE_INTERVAL_S, T1_MS) : 1000;
      const gone = waitFor(() => srv.server.location.lookup(AOR).length === 0, bound + 1000, `binding outlived ${bound} ms after SIGKILL`)
        .then(() => Date.now() - killedAt);
      // Sent while the binding still exists (UDP: until probing removes it; TCP: until the server has
      // seen the connection close): the branch to the dead contact fails (ICMP -> 503, Timer F -> 408)
      // and the message is stored; sent after the binding went, it is stored all the same.
      const r = await bob.sendMessage(AOR, 'sent while finch was dead');
      assert.deepEqual([r.status, r.accepted], [202, true], `${r.status} ${r.reason}`);
      const listed = await runCtl(['msg', 'list', AOR, '--json', '--control', controlAddress]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual((JSON.parse(listed.stdout) as Array<{ body: string }>).map((x) => x.body), ['sent while finch was dead']);
      const took = await gone;
      assert.ok(took <= bound + 500, `took ${took} ms, promised ${bound} ms`);
      await watcherSees(bob, AOR, 'closed', 1000, 'binding of the killed finch gone');
      // finch comes back: the stored message is delivered on its new registration.
      const again = await startFinch();
      assert.ok(await again.waitIm('sent while finch was dead', 5), 'the stored message was not delivered to the new finch');
      await waitFor(() => srv.server.offlineMessages.list(AOR).length === 0, 2000, 'stored message still waiting after delivery');
      await again.quit();
      await bob.close();
    });
  });
}
