// RFC 5626 4.2.1, 4.4: a registrar whose 2xx has no `Require: outbound` (Kamailio without outbound,
// most registrars) made no flow of our registration: its silence to STUN or to a CRLFCRLF ping says
// nothing. The client keeps the NAT binding open with keepalives that expect no answer, and stays
// registered until its refresh, instead of declaring the flow dead and registering again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipClientError } from '../../src/index.js';
import { isStunMessage } from '../../src/sip/stun.js';
import { newUa } from './helpers.js';
import { ScriptedPeer, until } from './scripted-peer.js';
import { tcpRegistrar } from './tcp-registrar.js';
import { UdpNat } from './udp-nat.js';

test('udp: a 200 without Require: outbound: CRLFCRLF keepalives, no STUN, no REGISTER before the refresh', async (t) => {
  const peer = await ScriptedPeer.start('127.0.0.1', ['udp']);
  t.after(() => peer.stop());
  peer.script = () => ({ status: 200 });
  // A registrar that never answers STUN: Binding requests are lost on the way.
  const stun: Buffer[] = [];
  const nat = await UdpNat.start({ address: '127.0.0.1', port: peer.ports.get('udp') as number }, {
    loseToServer: (data) => isStunMessage(data) && stun.push(data) > 0,
  });
  t.after(() => nat.close());
  const ua = newUa(`sip:127.0.0.1:${nat.port}`, { keepaliveIntervalMs: 50, keepaliveTimeoutMs: 200 });
  t.after(() => ua.close());
  const errors: SipClientError[] = [];
  const events: string[] = [];
  ua.on('error', (e) => errors.push(e));
  await ua.register();
  ua.on('registered', () => events.push('registered again'));
  ua.on('unregistered', (e) => events.push(`unregistered ${e.reason}`));
  const registers = peer.of('REGISTER').length;
  // Ten intervals: well past the 200 ms in which an unanswered keepalive would have failed the flow.
  await until(() => peer.keepalives.filter((k) => k.kind === 'crlf').length >= 10, 5000, 'ten CRLFCRLF keepalives');
  assert.deepEqual(errors.map((e) => e.message), []);
  assert.deepEqual(events, []);
  assert.equal(peer.of('REGISTER').length, registers, 'no REGISTER before the refresh');
  assert.equal(stun.length, 0, 'no STUN to a registrar that did not grant outbound');
});

test('tcp: a 200 without Require: outbound and no pongs: pings go on, the flow is not failed', async (t) => {
  const registrar = await tcpRegistrar({ grantsOutbound: false, answersPings: false });
  t.after(() => registrar.close());
  const ua = newUa(`sip:127.0.0.1:${registrar.port};transport=tcp`, { keepaliveIntervalMs: 50, keepaliveTimeoutMs: 200 });
  t.after(() => ua.close());
  const errors: SipClientError[] = [];
  ua.on('error', (e) => errors.push(e));
  await ua.register();
  // The opening CRLFCRLF of the connection, then one per interval, none answered.
  await until(() => registrar.connections[0].pings >= 11, 5000, 'ten keepalive pings');
  assert.deepEqual(errors.map((e) => e.message), []);
  assert.deepEqual(registrar.connections.map((c) => [c.registers, c.closed]), [[1, false]]);
});
