// Issue 6: chat with finch (libpurple SIMPLE) through simplesip's server in both directions. finch
// (alice) and a simplesip UserAgent (bob) both register with digest to the server; bob's MESSAGE
// reaches finch (dbus-monitor: ReceivedImMsg), finch's MESSAGE reaches bob (his 'message' event).
// finch answers the 407 on its first MESSAGE in RFC 2069 form under the same branch and CSeq;
// the server's trace must show that answer taken the first time (no 401/407 to a request carrying
// credentials). finch runs with its real default behaviour (no FINCH_SEED_RAND): every finch process
// sends the same Call-IDs and branches, which the server must tell apart by sent-by.
//
// Both transports. libpurple has two TCP bugs (peers README): it handles at most one SIP message
// per read() (the server paces its writes to a `Purple/` peer so that no message waits behind
// another: src/transport/one-message-per-read.ts), and at quit it may reset the connection before
// its un-REGISTER is written (the server then removes the binding when the connection closes).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserAgent, type IncomingMessage } from '../../src/index.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { FinchPeer, requireFinch } from './lib/finch.js';
import { challengedAnswers, collectTrace } from './lib/finch-trace.js';

const ALICE = 'sip:alice@127.0.0.1';
const BOB = 'sip:bob@127.0.0.1';

async function nextMessage(ua: UserAgent, timeoutMs: number): Promise<IncomingMessage> {
  const [m] = await once(ua, 'message', { signal: AbortSignal.timeout(timeoutMs) }) as [IncomingMessage];
  return m;
}

for (const transport of ['udp', 'tcp'] as const) {
  describe(`Chat with finch (libpurple SIMPLE) through simplesip's server in both directions (${transport})`, () => {
    let srv: RunningServer;
    let bob: UserAgent;
    let finch: FinchPeer | undefined;
    const trace = collectTrace();

    before(async () => {
      requireFinch();
      srv = await startServer({ listen: ['udp:*:0', 'tcp:*:0'], probeIntervalSeconds: 0, trace: true }, trace.stream);
      // libpurple's AOR domain is the server's address: our own addresses are served domains.
      await srv.server.users.add('alice', '127.0.0.1', 'finch-secret');
      await srv.server.users.add('bob', '127.0.0.1', 'bob-secret');
      bob = new UserAgent({
        aor: BOB, password: 'bob-secret', server: `sip:127.0.0.1:${srv.port(transport)};transport=${transport}`,
        localPorts: { min: 0, max: 0 }, stateDir: mkdtempSync(join(tmpdir(), 'finch-chat-ua-')), networkCheckIntervalMs: 0, closeTimeoutMs: 1000,
      });
      await bob.register();
      finch = await FinchPeer.start('alice', 'finch-secret', srv.port(transport), transport);
    });
    after(async () => {
      await finch?.stop();
      await bob?.close();
      await srv?.stop();
    });

    test('simplesip client -> finch: 200, and finch shows the IM from bob', async () => {
      const r = await bob.sendMessage(ALICE, 'hello finch from simplesip');
      assert.deepEqual(r, { status: 200, reason: 'OK', accepted: true });
      assert.ok(await finch?.waitIm('hello finch from simplesip', 5), 'finch never showed the IM');
      const r2 = await bob.sendMessage(ALICE, 'second line for finch');
      assert.equal(r2.status, 200);
      assert.ok(await finch?.waitIm('second line for finch', 5), 'finch never showed the second IM');
    });

    test('finch -> simplesip client: bob gets the text from alice', async () => {
      const got = nextMessage(bob, 8000);
      const sent = await finch?.send(BOB, 'hello bob from finch');
      assert.equal(sent?.status, 0, sent?.stderr);
      const m = await got;
      assert.equal(m.from, ALICE);
      assert.equal(m.body, 'hello bob from finch');
      // A second one: finch reuses its nonce with the next nc (RFC 2069 form, accepted).
      const again = nextMessage(bob, 8000);
      await finch?.send(BOB, 'and a second one');
      assert.equal((await again).body, 'and a second one');
    });

    test('the trace: every answer finch gave to a challenge was taken the first time', () => {
      const entries = trace.entries();
      assert.ok(entries.some((e) => /^MESSAGE sip:bob@127\.0\.0\.1 SIP\/2\.0$/m.test(e) && /^User-Agent: Purple/m.test(e)), 'no MESSAGE from finch in the trace');
      assert.deepEqual(challengedAnswers(entries, 'alice'), [], 'a request with credentials was challenged again');
    });
  });
}
