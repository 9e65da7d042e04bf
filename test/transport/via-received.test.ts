import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipMessage } from '../../src/sip/message.js';
import { stampReceived } from '../../src/transport/via-received.js';
import type { Endpoint } from '../../src/transport/types.js';

const from = (address: string, port: number): Endpoint => ({ address, port, family: address.includes(':') ? 6 : 4 });

function stamped(via: string, source: Endpoint): string {
  const request = SipMessage.request({ method: 'OPTIONS', requestUri: 'sip:example.com', headers: [['Via', via]] });
  stampReceived(request, source);
  return request.rawValues('via')[0];
}

test('RFC 3261 18.2.1: received only when the sent-by host differs from the source', () => {
  assert.equal(stamped('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1', from('192.0.2.1', 5060)), 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1');
  assert.equal(stamped('SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1', from('192.0.2.1', 5060)),
    'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;received=192.0.2.1');
  assert.equal(stamped('SIP/2.0/UDP pc.example.com;branch=z9hG4bK1', from('192.0.2.1', 5060)),
    'SIP/2.0/UDP pc.example.com;branch=z9hG4bK1;received=192.0.2.1');
  // Same IPv6 address, other spelling: no received.
  assert.equal(stamped('SIP/2.0/UDP [0:0::1]:5060;branch=z9hG4bK1', from('::1', 5060)), 'SIP/2.0/UDP [0:0::1]:5060;branch=z9hG4bK1');
});

test('RFC 3581 4: with rport, received is always added and rport gets the source port; IPv6 received is bare', () => {
  assert.equal(stamped('SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK1', from('192.0.2.1', 40000)),
    'SIP/2.0/UDP 192.0.2.1:5060;rport=40000;branch=z9hG4bK1;received=192.0.2.1');
  assert.equal(stamped('SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1;rport', from('2001:db8::2', 5070)),
    'SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1;rport=5070;received=2001:db8::2');
});

test('only the top Via is rewritten; a second via-parm on its line and other headers keep their bytes', () => {
  const request = SipMessage.request({
    method: 'OPTIONS',
    requestUri: 'sip:example.com',
    headers: [
      ['To', '<sip:example.com>'],
      ['v', 'SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bK1 ,  SIP/2.0/UDP  proxy.example ;branch=z9hG4bKx'],
      ['Via', 'SIP/2.0/TCP  second.example;branch=z9hG4bK2'],
      ['X-Odd', 'kept   as  is'],
    ],
  });
  assert.equal(stampReceived(request, from('192.0.2.9', 5999)), true);
  assert.deepEqual(request.rawValues('via'), [
    'SIP/2.0/UDP 10.0.0.1;rport=5999;branch=z9hG4bK1;received=192.0.2.9,  SIP/2.0/UDP  proxy.example ;branch=z9hG4bKx',
    'SIP/2.0/TCP  second.example;branch=z9hG4bK2',
  ]);
  assert.deepEqual(request.headerFields().map((f) => f.name), ['to', 'via', 'via', 'x-odd']);
  assert.equal(request.header('x-odd'), 'kept   as  is');
  assert.equal(request.topVia()?.received, '192.0.2.9');
});

test('a request without Via is reported, not stamped', () => {
  const request = SipMessage.request({ method: 'OPTIONS', requestUri: 'sip:example.com', headers: [['To', '<sip:x@y>']] });
  assert.equal(stampReceived(request, from('192.0.2.9', 5999)), false);
});

test('RFC 3261 25.1: a link-local source is stamped without its %zone, and the Via still parses', () => {
  // Node reports link-local peers as fe80::...%iface; `received=fe80::1%adv0` made every request a 400.
  const request = SipMessage.request({ method: 'REGISTER', requestUri: 'sip:192.0.2.1',
    headers: [['Via', 'SIP/2.0/UDP [fe80::f423:c0ff:fe41:d5e]:26123;branch=z9hG4bK1;rport']] });
  stampReceived(request, from('fe80::f423:c0ff:fe41:d5e%adv0', 26123));
  assert.equal(request.rawValues('via')[0], 'SIP/2.0/UDP [fe80::f423:c0ff:fe41:d5e]:26123;branch=z9hG4bK1;rport=26123;received=fe80::f423:c0ff:fe41:d5e');
  assert.equal(request.topVia()?.received, 'fe80::f423:c0ff:fe41:d5e');
  // Without rport and the same address as sent-by: no received at all (RFC 3261 18.2.1).
  assert.equal(stamped('SIP/2.0/UDP [fe80::1]:5060;branch=z9hG4bK1', from('fe80::1%adv0', 5060)), 'SIP/2.0/UDP [fe80::1]:5060;branch=z9hG4bK1');
});
