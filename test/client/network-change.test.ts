// Network change (RFC 5626 4.5 asks for a new flow when the old one cannot work): the UA polls the
// local address the host routes toward the server; when it moves (another interface, a new DHCP
// lease), it binds there and registers the Contact of the new address, removing the old binding.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newUa } from './helpers.js';
import { ScriptedPeer, sleep, until } from './scripted-peer.js';

describe('network change', () => {
  let peer: ScriptedPeer;
  before(async () => {
    peer = await ScriptedPeer.start('127.0.0.1', ['udp']);
    peer.script = () => ({ status: 200 });
  });
  after(() => peer.stop());

  test('a new routed address toward the server: a socket there and a REGISTER from it, old Contact removed', async (t) => {
    // The host's route toward the server, as the test decides it: 127.0.0.1, then 127.0.0.2 (both loopback).
    let routed = '127.0.0.1';
    const asked: string[] = [];
    const ua = newUa(peer.uri(), {
      networkCheckIntervalMs: 50,
      localAddressFor: async (remote) => {
        asked.push(remote);
        return routed;
      },
    });
    t.after(() => ua.close());
    const registered: string[] = [];
    ua.on('registered', (e) => registered.push(e.contact));
    await ua.register();
    assert.match(ua.contact as string, /^sip:alice@127\.0\.0\.1:\d+$/);
    const old = ua.contact as string;
    // The route holds: polled, nothing sent.
    await sleep(200);
    assert.ok(asked.length >= 3, `${asked.length} checks`);
    assert.ok(asked.every((a) => a === '127.0.0.1'));
    assert.equal(peer.of('REGISTER').length, 1);

    routed = '127.0.0.2';
    await until(() => registered.length >= 2, 2000, 'a REGISTER from the new address');
    const regs = peer.of('REGISTER');
    assert.equal(regs.length, 2);
    const source = peer.sources[peer.requests.indexOf(regs[1])];
    assert.equal(source.remote.address, '127.0.0.2');
    assert.match(regs[1].header('via') as string, new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.2:${source.remote.port};`));
    assert.match(regs[1].header('contact') as string, new RegExp(`^<sip:alice@127\\.0\\.0\\.2:${source.remote.port}>.*, <${old.replace(/\./g, '\\.')}>;expires=0$`));
    assert.equal(ua.contact, `sip:alice@127.0.0.2:${source.remote.port}`);
    // And the close removes the new binding, from the new socket.
    await ua.close();
    const last = peer.of('REGISTER').at(-1);
    assert.equal(last?.header('expires'), '0');
    assert.match(last?.header('contact') as string, /^<sip:alice@127\.0\.0\.2:\d+>/);
  });
});
