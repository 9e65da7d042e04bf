// REGISTER against a scripted registrar: digest (new transaction per answer, stale nonces, wrong
// password), refresh at the granted expiry, NAT contact correction, RFC 5626 outbound, Timer F,
// failover, keepalives and a bounded close().
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SipClientError } from '../../src/index.js';
import { TransportManager } from '../../src/transport/transport-manager.js';
import { challenge, newUa } from './helpers.js';
import { ScriptedPeer, sleep, until } from './scripted-peer.js';

const authorized = (r: { header(n: string): string | undefined }): boolean => r.header('authorization') !== undefined;
/** RFC 5626 4.2.1: a 200 that makes the registration an outbound flow, which the UA keeps alive and watches. */
const GRANTS_OUTBOUND = { status: 200, headers: [['Require', 'outbound']] as Array<[string, string]> };

describe('registration against a scripted registrar', () => {
  let peer: ScriptedPeer;
  before(async () => { peer = await ScriptedPeer.start('127.0.0.1', ['udp', 'tcp']); });
  after(() => peer.stop());
  const reset = (): void => { peer.requests.length = 0; peer.wire.length = 0; peer.keepalives.length = 0; };

  test('401: answered in a new transaction (new branch, CSeq + 1, same Call-ID), qop=auth with nc and cnonce', async () => {
    reset();
    peer.script = (r) => (authorized(r) ? { status: 200, headers: [['Contact', `${r.header('contact')};expires=300`]] } : { status: 401, headers: [challenge()] });
    const ua = newUa(peer.uri());
    await ua.register();
    const [first, second] = peer.of('REGISTER');
    assert.notEqual(first.topVia()?.branch, second.topVia()?.branch);
    assert.equal(second.cseq().seq, first.cseq().seq + 1);
    assert.equal(second.callId(), first.callId());
    const auth = second.authorization()[0].params;
    assert.equal(auth.get('nc'), '00000001');
    assert.ok(auth.get('cnonce'));
    assert.equal(auth.get('uri'), 'sip:example.com');
    assert.match(first.header('via') as string, /;rport/);
    await ua.close();
  });

  test('SHA-256 is preferred when offered with MD5', async () => {
    reset();
    peer.script = (r) => (authorized(r) ? { status: 200 } : { status: 401, headers: [challenge(), ['WWW-Authenticate', 'Digest realm="example.com", nonce="s1", qop="auth", algorithm=SHA-256']] });
    const ua = newUa(peer.uri());
    await ua.register();
    assert.equal(peer.of('REGISTER')[1].authorization()[0].params.get('algorithm'), 'SHA-256');
    await ua.close();
  });

  test('a second challenge without stale=true: auth-failed, no third try', async () => {
    reset();
    peer.script = () => ({ status: 401, headers: [challenge()] });
    const ua = newUa(peer.uri());
    await assert.rejects(ua.register(), (e: SipClientError) => e.code === 'auth-failed' && e.status === 401 && /wrong username or password/.test(e.message));
    assert.equal(peer.of('REGISTER').length, 2);
    await ua.close();
  });

  test('close(): un-REGISTER with Expires: 0 answers a stale nonce with the fresh one', async () => {
    reset();
    let staleSent = false;
    peer.script = (r) => {
      if (!authorized(r)) return { status: 401, headers: [challenge()] };
      if (r.header('expires') === '0' && !staleSent) {
        staleSent = true;
        return { status: 401, headers: [['WWW-Authenticate', 'Digest realm="example.com", nonce="fresh", qop="auth", stale=true']] };
      }
      return { status: 200 };
    };
    const ua = newUa(peer.uri());
    await ua.register();
    await ua.close();
    const unregs = peer.of('REGISTER').filter((r) => r.header('expires') === '0');
    assert.equal(unregs.length, 2);
    assert.equal(unregs[1].authorization()[0].params.get('nonce'), 'fresh');
    assert.equal(unregs[1].cseq().seq, unregs[0].cseq().seq + 1);
    assert.match(unregs[1].header('contact') as string, /^<sip:alice@127\.0\.0\.1:\d+>/);
  });

  test('refresh follows the expiry granted to our Contact, not Expires or what we asked', async () => {
    reset();
    peer.script = (r) => ({ status: 200, headers: [['Contact', `${r.header('contact')};expires=2`], ['Expires', '3600']] });
    const ua = newUa(peer.uri(), { expires: 3600 });
    const granted: number[] = [];
    ua.on('registered', (e) => granted.push(e.expires));
    await ua.register();
    assert.deepEqual(granted, [2]);
    await until(() => peer.of('REGISTER').length >= 2, 2500, 'a refresh');
    await ua.close();
  });

  test('NAT: received/rport of the 200 correct the Contact of the next REGISTER, and the old one is removed', async () => {
    reset();
    peer.script = (r) => {
      // As if a NAT had rewritten our source address: the response's Via says where we came from.
      r.replaceHeader('via', 0, (r.header('via') as string).replace(/received=[^;]*/, 'received=198.51.100.7').replace(/rport=\d+/, 'rport=40000'));
      return { status: 200 };
    };
    const ua = newUa(peer.uri());
    await ua.register();
    const regs = peer.of('REGISTER');
    assert.equal(regs.length, 2);
    assert.match(regs[1].header('contact') as string, /^<sip:alice@198\.51\.100\.7:40000>.*, <sip:alice@127\.0\.0\.1:\d+>;expires=0$/);
    assert.equal(ua.contact, 'sip:alice@198.51.100.7:40000');
    await ua.close();
  });

  test('RFC 5626: the same +sip.instance across restarts (state directory), reg-id, Supported: outbound', async () => {
    reset();
    peer.script = () => ({ status: 200 });
    const stateDir = mkdtempSync(join(tmpdir(), 'simplesip-state-'));
    for (let i = 0; i < 2; i++) {
      const ua = newUa(peer.uri(), { stateDir });
      await ua.register();
      await ua.close();
    }
    const contacts = peer.of('REGISTER').filter((r) => r.header('expires') !== '0').map((r) => r.contacts() as Array<{ instance?: string; regId?: number }>);
    assert.match(contacts[0][0].instance as string, /^<urn:uuid:[0-9a-f-]{36}>$/);
    assert.equal(contacts[0][0].instance, contacts[1][0].instance);
    assert.equal(contacts[0][0].regId, 1);
    assert.match(peer.of('REGISTER')[0].header('supported') as string, /outbound/);
  });

  test('no answer: retransmissions keep branch and CSeq, and Timer F is reported as 408', async () => {
    reset();
    peer.script = () => 'drop';
    const ua = newUa(peer.uri());
    await assert.rejects(ua.register(), (e: SipClientError) => e.code === 'unreachable' && e.status === 408);
    const sent = peer.wire.filter((w) => w.startsWith('REGISTER'));
    assert.ok(sent.length > 3, `${sent.length} transmissions`);
    const branches = new Set(sent.map((w) => /branch=([^;\r\n]+)/.exec(w)?.[1]));
    const cseqs = new Set(sent.map((w) => /CSeq: ([^\r\n]+)/i.exec(w)?.[1]));
    assert.equal(branches.size, 1);
    assert.equal(cseqs.size, 1);
    await ua.close();
  });

  test('close() is bounded when the server stops answering', async () => {
    reset();
    peer.script = () => ({ status: 200 });
    const ua = newUa(peer.uri(), { closeTimeoutMs: 300, timers: { t1: 500 } });
    await ua.register();
    peer.script = () => 'drop';
    const t = Date.now();
    await ua.close();
    assert.ok(Date.now() - t < 1000, `${Date.now() - t} ms`);
  });

  test('RFC 3263 failover: the next SRV target when the first does not answer', async () => {
    reset();
    peer.script = () => ({ status: 200 });
    const dead = new TransportManager();
    const deadPort = (await dead.listen('udp:127.0.0.1:0')).port;
    const dns = {
      resolveNaptr: async () => [],
      resolveSrv: async (name: string) => (name === '_sip._udp.example.test' ? [
        { name: 'a.example.test', port: deadPort, priority: 1, weight: 0 },
        { name: 'b.example.test', port: peer.ports.get('udp') as number, priority: 2, weight: 0 },
      ] : []),
      resolve4: async () => ['127.0.0.1'],
      resolve6: async () => [],
    };
    const ua = newUa('sip:example.test', { dns });
    await ua.register();
    assert.equal(peer.of('REGISTER').length, 1);
    await ua.close();
    await dead.close();
  });

  test('STUN keepalives on UDP (RFC 5626 4.4.2)', async () => {
    reset();
    peer.script = () => GRANTS_OUTBOUND;
    const ua = newUa(peer.uri(), { keepaliveIntervalMs: 50 });
    await ua.register();
    await until(() => peer.keepalives.filter((k) => k.kind === 'stun').length >= 2, 2000, 'two STUN keepalives');
    await ua.close();
  });

  test('CRLFCRLF keepalives on TCP (RFC 5626 4.4.1); a closed flow leads to a new REGISTER', async () => {
    reset();
    peer.script = () => GRANTS_OUTBOUND;
    const ua = newUa(peer.uri('tcp'), { keepaliveIntervalMs: 50, backoff: { baseMs: 50, maxMs: 200 } });
    await ua.register();
    assert.match(ua.contact as string, /;transport=tcp$/);
    await until(() => peer.keepalives.filter((k) => k.kind === 'ping').length >= 3, 2000, 'CRLF pings');
    const registered: string[] = [];
    ua.on('registered', (e) => registered.push(e.contact));
    await peer.transport.close();
    // The server comes back on the same port.
    const again = await ScriptedPeer.start('127.0.0.1', []);
    await again.transport.listen(`tcp:127.0.0.1:${peer.ports.get('tcp') as number}`);
    again.script = () => GRANTS_OUTBOUND;
    await until(() => again.of('REGISTER').length >= 1 && registered.length >= 1, 5000, 'a REGISTER on a new flow');
    assert.notEqual(registered[0], undefined);
    await ua.close();
    await again.stop();
    peer = await ScriptedPeer.start('127.0.0.1', ['udp', 'tcp']);
  });

});
