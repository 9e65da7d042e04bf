// URIs the server writes from what peers registered: an IPv4-mapped host becomes the IPv4 address it
// carries (README: no `::ffff:` in SIP we write); everything else keeps its text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nameAddrWithIPv4Host, uriWithIPv4Host } from '../../src/sip/mapped-host.js';

test('uriWithIPv4Host: a mapped host in any spelling becomes IPv4; other URIs keep their text', () => {
  assert.equal(uriWithIPv4Host('sip:am@[::ffff:127.0.0.1]:5070;transport=udp'), 'sip:am@127.0.0.1:5070;transport=udp');
  assert.equal(uriWithIPv4Host('sip:am@[0:0:0:0:0:FFFF:7f00:1]'), 'sip:am@127.0.0.1');
  for (const same of ['sip:am@127.0.0.1:5070', 'sip:am@[::1]:5070', 'sip:am@[2001:db8::ffff]', 'sip:am@example.com;maddr=[::ffff:127.0.0.1]', 'not a uri [ffff']) {
    assert.equal(uriWithIPv4Host(same), same);
  }
});

test('nameAddrWithIPv4Host: a Path entry with a mapped host becomes IPv4, its parameters kept', () => {
  assert.equal(nameAddrWithIPv4Host('<sip:[::ffff:127.0.0.1]:5070;lr;ob>'), '<sip:127.0.0.1:5070;lr;ob>');
  assert.equal(nameAddrWithIPv4Host('<sip:[2001:db8::ffff]:5070;lr>'), '<sip:[2001:db8::ffff]:5070;lr>');
  assert.equal(nameAddrWithIPv4Host('<sip:edge.example.com;lr>'), '<sip:edge.example.com;lr>');
});
