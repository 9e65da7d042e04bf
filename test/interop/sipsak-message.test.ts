// sipsak sends a MESSAGE (template test/interop/scenarios/sipsak-message.sip with `-f`; its -M mode
// crashes) with digest as dave; bob, registered from a raw test client, receives it. The template's
// $user$/$from$/$dsthost$/$srchost$ are filled in here: sipsak's own -G substitution cuts a five-digit port
// to four digits (seen: 59975 -> 5997), and ephemeral ports have five.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { requirePeer, SIPSAK } from '../helpers/peers.js';
import { runPeer } from '../helpers/run-peer.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { SipEndpoint } from '../helpers/sip-endpoint.js';
import { receiveMessage } from '../server/message-helpers.js';

let srv: RunningServer;
let sipsak: string;
before(async () => {
  sipsak = requirePeer(SIPSAK);
  srv = await startServer({ listen: ['udp:127.0.0.1:0'], probeIntervalSeconds: 0 });
  for (const user of ['dave', 'bob']) await srv.server.users.add(user, '127.0.0.1', `${user}-secret`);
});
after(() => srv.stop());

test('sipsak MESSAGE with digest is delivered to a registered user', async () => {
  const bob = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
  const dir = mkdtempSync(join(tmpdir(), 'sipsak-msg-'));
  const file = join(dir, 'message.sip');
  writeFileSync(file, readFileSync(join(import.meta.dirname, 'scenarios', 'sipsak-message.sip'), 'utf8')
    .replaceAll('$user$', 'bob').replaceAll('$from$', 'dave').replaceAll('$dsthost$', '127.0.0.1').replaceAll('$srchost$', '127.0.0.1'));
  try {
    assert.equal((await bob.register('bob', 'bob-secret', { domain: '127.0.0.1', expires: 300 })).status, 200);
    const got = receiveMessage(bob, 200, 8000);
    const r = await runPeer(sipsak, ['-vv', '-f', file,
      '-s', `sip:bob@127.0.0.1:${srv.port('udp')}`, '-H', '127.0.0.1', '-E', 'udp', '-u', 'dave', '-a', 'dave-secret'], { timeoutMs: 15000 });
    const m = await got;
    assert.equal(m.body.toString(), 'hello from sip');
    assert.match(m.header('from') ?? '', /sip:dave@127\.0\.0\.1/);
    assert.equal(r.status, 0, `sipsak failed (${r.status}):\n${r.stdout.slice(-1500)}\n${r.stderr}`);
  } finally {
    bob.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
