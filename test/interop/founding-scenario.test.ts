// The 2007 thread, end to end: Pidgin's libpurple SIMPLE (finch, headless) against simplesip server
// on a dual-stack socket, over UDP and over TCP (libpurple's default). Steps (issue 7):
//  1. finch registers with digest to `udp:*:PORT` / `tcp:*:PORT`;
//  2. `simplesip ctl ul show` shows the binding with the transport, the real source and the socket
//     as bound (no udp6, no ::ffff:);
//  4. finch quits cleanly: the binding is gone at once;
//  5. finch is SIGKILLed: the binding is gone within the promised dead-contact time (UDP: OPTIONS
//     probing; TCP: the connection closes).
// Step 3 (messages both ways, presence) and the presence/offline halves of 4 and 5 wait for the
// presence server and the client's wiring to the proxy; see the README's Interoperability section.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlServer } from '../../src/control/control-server.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { runCtl } from '../cli/ctl-run.js';
import { FinchPeer, requireFinch } from './lib/finch.js';
import { deadContactBoundMs, waitFor } from './lib/timing.js';

const PROBE_INTERVAL_S = 1;
// Timer F = 64*T1: 3.2 s instead of 32 s, so that three unanswered probes fit in a test.
const T1_MS = 50;
const AOR = 'sip:alice@127.0.0.1';

for (const transport of ['udp', 'tcp'] as const) {
  describe(`founding scenario: finch over ${transport}`, () => {
    let srv: RunningServer;
    let control: ControlServer;
    let controlAddress: string;
    const peers: FinchPeer[] = [];

    before(async () => {
      requireFinch();
      srv = await startServer({ listen: [`${transport}:*:0`], probeIntervalSeconds: PROBE_INTERVAL_S, t1Ms: T1_MS });
      // libpurple's AOR domain is the server's address: our own addresses are served domains.
      await srv.server.users.add('alice', '127.0.0.1', 'finch-secret');
      control = new ControlServer(srv.server.controlContext());
      const { port } = await control.listen({ host: '127.0.0.1', port: 0 });
      controlAddress = `127.0.0.1:${port}`;
    });
    after(async () => {
      for (const p of peers) await p.stop();
      await control?.close();
      await srv?.stop();
    });

    async function startFinch(): Promise<FinchPeer> {
      const finch = await FinchPeer.start('alice', 'finch-secret', srv.port(transport), transport);
      peers.push(finch);
      return finch;
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

    test('a clean quit removes the binding at once', async () => {
      const finch = await startFinch();
      assert.equal(srv.server.location.lookup(AOR).length, 1);
      await finch.quit();
      // UDP: the un-REGISTER; TCP: libpurple may RST before writing it (peers README), and then the
      // closed connection removes the binding. Either way it is gone within a moment.
      await waitFor(() => srv.server.location.lookup(AOR).length === 0, 1000, 'binding still there after finch quit');
    });

    test('SIGKILL: the binding is gone within the promised dead-contact time', async () => {
      const finch = await startFinch();
      assert.equal(srv.server.location.lookup(AOR).length, 1);
      const killedAt = Date.now();
      finch.kill();
      const bound = transport === 'udp' ? deadContactBoundMs(PROBE_INTERVAL_S, T1_MS) : 1000;
      await waitFor(() => srv.server.location.lookup(AOR).length === 0, bound + 1000, `binding outlived ${bound} ms after SIGKILL`);
      const took = Date.now() - killedAt;
      assert.ok(took <= bound + 500, `took ${took} ms, promised ${bound} ms`);
    });
  });
}
