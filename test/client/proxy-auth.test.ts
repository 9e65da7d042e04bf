// 407 on MESSAGE (RFC 3261 22.3): answered once with Proxy-Authorization in a new transaction; a
// second 407 without stale=true means the credentials are wrong: no loop, the status is reported,
// and `simplesip client send` exits 4.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startClient } from './cli-run.js';
import { newUa } from './helpers.js';
import { ScriptedPeer } from './scripted-peer.js';

const proxyChallenge = (): [string, string] => ['Proxy-Authenticate', `Digest realm="example.com", nonce="p${Math.random().toString(36).slice(2)}", qop="auth", algorithm=MD5`];

describe('407 Proxy Authentication Required on MESSAGE (scripted proxy)', () => {
  let peer: ScriptedPeer;
  before(async () => { peer = await ScriptedPeer.start(); });
  after(() => peer.stop());

  test('answered with Proxy-Authorization (digest uri = Request-URI, CSeq + 1, new branch); a second 407 is final', async (t) => {
    peer.script = (r) => (r.method !== 'MESSAGE' || r.header('proxy-authorization') !== undefined ? { status: 200 } : { status: 407, headers: [proxyChallenge()] });
    const ua = newUa(peer.uri());
    t.after(() => ua.close());
    assert.deepEqual(await ua.sendMessage('bob', 'hi'), { status: 200, reason: 'OK', accepted: true });
    const [first, second] = peer.of('MESSAGE');
    assert.equal(first.header('proxy-authorization'), undefined);
    const credentials = second.proxyAuthorization()[0].params;
    assert.equal(credentials.get('username'), 'alice');
    assert.equal(credentials.get('uri'), 'sip:bob@example.com');
    assert.equal(credentials.get('nc'), '00000001');
    assert.equal(second.header('authorization'), undefined, 'a 407 is answered in Proxy-Authorization only');
    assert.equal(second.cseq().seq, first.cseq().seq + 1);
    assert.equal(second.callId(), first.callId());
    assert.notEqual(second.topVia()?.branch, first.topVia()?.branch);

    peer.requests.length = 0;
    peer.script = (r) => (r.method === 'MESSAGE' ? { status: 407, headers: [proxyChallenge()] } : { status: 200 });
    const refused = await ua.sendMessage('bob', 'again');
    assert.deepEqual([refused.status, refused.reason, refused.accepted], [407, 'Proxy Authentication Required', false]);
    assert.equal(refused.error?.code, 'auth-failed');
    assert.match(refused.error?.message as string, /wrong username or password/);
    // The cached answer went first, the fresh challenge was answered once, and that is all.
    assert.equal(peer.of('MESSAGE').length, 2);
  });

  test('simplesip client send: a refused Proxy-Authorization exits 4', async () => {
    peer.script = (r) => (r.method === 'MESSAGE' ? { status: 407, headers: [proxyChallenge()] } : { status: 200 });
    const c = startClient(['send', '--to', 'sip:bob@example.com', '--user', 'sip:alice@example.com', '--server', peer.uri(), '--local-ports', '0', 'hello'], { SIMPLESIP_PASSWORD: 'wrong' });
    assert.equal(await c.exited, 4, c.stderr());
    assert.match(c.stderr(), /MESSAGE: 407 Proxy Authentication Required: wrong username or password/);
  });
});
