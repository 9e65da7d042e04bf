// RFC 5389 7.2.1 over UDP: a STUN keepalive whose Binding request is lost is sent again (same
// transaction id, RTO 500 ms doubling) within the answer window, so one lost datagram is not a dead
// flow (RFC 5626 4.4.2) and does not cost a new REGISTER.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipClientError } from '../../src/index.js';
import { isStunMessage } from '../../src/sip/stun.js';
import { newUa } from './helpers.js';
import { ScriptedPeer, until } from './scripted-peer.js';
import { UdpNat } from './udp-nat.js';

test('a lost STUN Binding request is retransmitted and its answer keeps the flow up', async (t) => {
  const peer = await ScriptedPeer.start('127.0.0.1', ['udp']);
  t.after(() => peer.stop());
  // RFC 5626 4.4.2: STUN keepalives on a flow the registrar granted (Require: outbound).
  peer.script = () => ({ status: 200, headers: [['Require', 'outbound']] });
  // Every Binding request is lost the first time its transaction id is sent, and gets through again.
  const seen = new Set<string>();
  const transmissions: string[] = [];
  const nat = await UdpNat.start({ address: '127.0.0.1', port: peer.ports.get('udp') as number }, {
    loseToServer: (data) => {
      if (!isStunMessage(data)) return false;
      const id = data.subarray(8, 20).toString('hex');
      transmissions.push(id);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    },
  });
  t.after(() => nat.close());
  const ua = newUa(`sip:127.0.0.1:${nat.port}`, { keepaliveIntervalMs: 50, keepaliveTimeoutMs: 2000 });
  t.after(() => ua.close());
  const errors: SipClientError[] = [];
  ua.on('error', (e) => errors.push(e));
  await ua.register();
  const registers = peer.of('REGISTER').length;
  await until(() => peer.keepalives.filter((k) => k.kind === 'stun').length >= 3, 5000, 'three retransmitted Binding requests answered');
  assert.deepEqual(errors.map((e) => e.message), []);
  assert.equal(peer.of('REGISTER').length, registers, 'no REGISTER after the registration');
  // Each Binding request went out twice with one transaction id: the lost one and its retransmission.
  const ids = [...seen].slice(0, 3);
  for (const id of ids) assert.equal(transmissions.filter((x) => x === id).length, 2);
});
