// RFC 5626 4.4.2: the client compares the XOR-MAPPED-ADDRESS of each STUN keepalive answer with
// where the registrar saw it; when a NAT moves the flow to a new public port, it registers the new
// Contact at once (removing the old one) instead of staying unreachable until the next refresh.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newUa } from './helpers.js';
import { ScriptedPeer, sleep, until } from './scripted-peer.js';
import { UdpNat } from './udp-nat.js';

describe('NAT rebinding seen by STUN keepalives', () => {
  let peer: ScriptedPeer;
  let nat: UdpNat;
  before(async () => {
    peer = await ScriptedPeer.start('127.0.0.1', ['udp']);
    // RFC 5626 4.2.1, 4.4.2: STUN keepalives need a registrar that granted outbound.
    peer.script = () => ({ status: 200, headers: [['Require', 'outbound']] });
    nat = await UdpNat.start({ address: '127.0.0.1', port: peer.ports.get('udp') as number });
  });
  after(async () => {
    nat.close();
    await peer.stop();
  });

  test('a changed mapped address leads to a REGISTER of the new Contact that removes the old one', async (t) => {
    // A long answer timeout: only the mapped address, never a missing answer, can trigger the REGISTER.
    const ua = newUa(`sip:127.0.0.1:${nat.port}`, { keepaliveIntervalMs: 50, keepaliveTimeoutMs: 10_000 });
    t.after(() => ua.close());
    const registered: string[] = [];
    ua.on('registered', (e) => registered.push(e.contact));
    await ua.register();
    const first = nat.externalPort;
    assert.equal(ua.contact, `sip:alice@127.0.0.1:${first}`, 'the NAT contact from rport');
    assert.equal(peer.of('REGISTER').length, 2);
    // While the binding holds, answers agree with the registration: nothing is sent again.
    await until(() => peer.keepalives.filter((k) => k.kind === 'stun').length >= 4, 2000, 'STUN keepalives');
    await sleep(100);
    assert.equal(peer.of('REGISTER').length, 2);

    await nat.rebind();
    const second = nat.externalPort;
    await until(() => registered.length >= 2, 2000, 'a REGISTER after the rebinding');
    const regs = peer.of('REGISTER');
    assert.equal(regs.length, 3, 'one REGISTER: the new Contact is known from the STUN answer');
    assert.match(regs[2].header('contact') as string, new RegExp(`^<sip:alice@127\\.0\\.0\\.1:${second}>.*, <sip:alice@127\\.0\\.0\\.1:${first}>;expires=0$`));
    assert.equal(registered[1], `sip:alice@127.0.0.1:${second}`);
    assert.equal(ua.contact, `sip:alice@127.0.0.1:${second}`);
  });
});
