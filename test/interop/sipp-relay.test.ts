// Relaying to a domain simplesip does not serve (issue 4, gap 5; RFC 3261 16.3 step 6, 22.3, no open
// relay): a SIPp UAS (msg_ooc.xml) listens on 127.0.0.2, an address of the loopback network the
// server does not listen on. An authenticated user of ours gets her MESSAGE relayed there (407 first,
// then SIPp's 200 comes back); a stranger gets 403 and nothing reaches SIPp; a request from a foreign
// domain to our user is relayed to her without a challenge (we cannot authenticate other domains).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../helpers/free-port.js';
import { requirePeer, SIPP } from '../helpers/peers.js';
import { runPeer, type PeerRun } from '../helpers/run-peer.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint, type RequestSpec } from '../helpers/sip-endpoint.js';

const scenarios = join(import.meta.dirname, 'scenarios');
const FOREIGN = '127.0.0.2';

const message = (from: string, to: string, body: string): RequestSpec => ({
  method: 'MESSAGE', uri: to, from, to, fromTag: newTag(), callId: newCallId(), cseq: 1, body, contentType: 'text/plain',
});

describe('relay to a foreign domain (SIPp UAS on 127.0.0.2)', () => {
  let sipp: string;
  let srv: RunningServer;
  let dir: string;
  const peers: SipEndpoint[] = [];
  const open = async (): Promise<SipEndpoint> => {
    const p = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    peers.push(p);
    return p;
  };

  /** A SIPp UAS answering `calls` MESSAGEs with 200 on FOREIGN:port; resolves when it is done. */
  const uas = (port: number, calls: number, log: string, timeout = '15s'): Promise<PeerRun> => runPeer(sipp, [
    '-sf', join(scenarios, 'msg_ooc.xml'), '-i', FOREIGN, '-p', String(port), '-t', 'u1', '-m', String(calls),
    '-nostdin', '-timeout', timeout, '-timeout_error', '-trace_logs', '-log_file', join(dir, log),
  ], { cwd: dir, timeoutMs: 30000 });

  before(async () => {
    sipp = requirePeer(SIPP);
    dir = mkdtempSync(join(tmpdir(), 'sipp-relay-'));
    srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0 });
    for (const u of ['alice', 'bob']) await srv.server.users.add(u, 'example.com', `${u}-secret`);
    assert.equal(srv.server.identity.isLocalDomain(FOREIGN), false, `${FOREIGN} is not ours`);
  });
  after(async () => {
    for (const p of peers) p.close();
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an authenticated user of ours: 407, then relayed to sip:x@127.0.0.2:PORT and SIPp\'s 200 comes back', async () => {
    const port = await freePort(FOREIGN);
    const run = uas(port, 1, 'relay_logs.log');
    await new Promise((r) => setTimeout(r, 300));
    const alice = await open();
    const to = `sip:x@${FOREIGN}:${port}`;
    const first = await alice.request(message('sip:alice@example.com', to, 'relayed by simplesip'));
    assert.equal(first.response.status, 407, 'challenged before anything is relayed');
    const { response } = await alice.request(message('sip:alice@example.com', to, 'relayed by simplesip'), 'alice-secret');
    assert.equal(response.status, 200, `${response.status} ${response.reason}`);
    assert.match(response.to().tag ?? '', /SIPpOOC/, 'the 200 is SIPp\'s');
    const done = await run;
    assert.equal(done.status, 0, `sipp failed:\n${done.stdout.slice(-1500)}\n${done.stderr}`);
    assert.match(readFileSync(join(dir, 'relay_logs.log'), 'utf8'), /GOT-MESSAGE from=.*alice@example\.com.* body=relayed by simplesip/);
  });

  test('no open relay: a stranger gets 403, a wrong password another 407, and SIPp receives nothing', async () => {
    const port = await freePort(FOREIGN);
    const run = uas(port, 1, 'stranger_logs.log', '2s');
    await new Promise((r) => setTimeout(r, 300));
    const mallory = await open();
    const to = `sip:x@${FOREIGN}:${port}`;
    const stranger = await mallory.request(message('sip:mallory@elsewhere.example', to, 'spam'));
    assert.equal(stranger.response.status, 403);
    assert.match(stranger.response.reason, /relaying to 127\.0\.0\.2 is not allowed/);
    const wrong = await mallory.request(message('sip:alice@example.com', to, 'spam'), 'not-her-password');
    assert.equal(wrong.response.status, 407);
    const done = await run;
    assert.notEqual(done.status, 0, 'SIPp timed out waiting: no MESSAGE reached it');
    assert.doesNotMatch(readFileSync(join(dir, 'stranger_logs.log'), { encoding: 'utf8', flag: 'a+' }), /GOT-MESSAGE/);
  });

  test('a foreign domain\'s user to ours: relayed to her without a challenge', async () => {
    const bob = await open();
    assert.equal((await bob.register('bob', 'bob-secret')).status, 200);
    const carol = await open();
    const sent = carol.request(message(`sip:carol@${FOREIGN}`, 'sip:bob@example.com', 'hello from afar'));
    const got = await bob.nextRequest('MESSAGE');
    bob.respond(got, 200);
    const { response } = await sent;
    assert.equal(response.status, 200, `${response.status} ${response.reason}`);
    assert.equal(got.body.toString(), 'hello from afar');
  });
});
