import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressFamily, canonicalDomain, normalizeAddress, normalizeSocketAddress, sameAddress, socketAddressFor } from '../../src/transport/address.js';
import { forbiddenDestination } from '../../src/transport/destination-policy.js';

test('IPv4-mapped IPv6 addresses become IPv4, IPv6 becomes bare and canonical', () => {
  assert.equal(normalizeAddress('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(normalizeAddress('::FFFF:192.0.2.1'), '192.0.2.1');
  assert.equal(normalizeAddress('0:0:0:0:0:ffff:c000:201'), '192.0.2.1');
  assert.equal(normalizeAddress('[::ffff:127.0.0.1]'), '127.0.0.1');
  assert.equal(normalizeAddress('[2001:DB8:0:0::1]'), '2001:db8::1');
  assert.equal(normalizeAddress('0:0:0:0:0:0:0:1'), '::1');
  assert.equal(normalizeAddress('fe80::1%eth0'), 'fe80::1%eth0');
  assert.equal(normalizeAddress('192.0.2.1'), '192.0.2.1');
  assert.equal(normalizeAddress('example.com'), 'example.com');
  assert.equal(normalizeSocketAddress('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(normalizeSocketAddress('::1'), '::1');
});

test('a domain is keyed in one form: names lower-case, IPv6 bare and canonical, IPv4-mapped as IPv4', () => {
  assert.equal(canonicalDomain('Example.COM'), 'example.com');
  assert.equal(canonicalDomain('192.0.2.7'), '192.0.2.7');
  assert.equal(canonicalDomain('2001:DB8:0:0::1'), '2001:db8::1');
  assert.equal(canonicalDomain('[2001:db8:0::1]'), '2001:db8::1');
  assert.equal(canonicalDomain('0:0:0:0:0:0:0:1'), '::1');
  assert.equal(canonicalDomain('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(canonicalDomain('[::FFFF:127.0.0.1]'), '127.0.0.1');
});

test('address family, equality in any spelling, and the dual-stack socket form', () => {
  assert.equal(addressFamily('192.0.2.1'), 4);
  assert.equal(addressFamily('[::1]'), 6);
  assert.equal(addressFamily('example.com'), undefined);
  assert.ok(sameAddress('::1', '0:0::1'));
  assert.ok(sameAddress('::ffff:192.0.2.1', '192.0.2.1'));
  assert.ok(!sameAddress('192.0.2.1', '192.0.2.2'));
  assert.ok(!sameAddress('host.example', 'host.example.org'));
  assert.equal(socketAddressFor('127.0.0.1', 6), '::ffff:127.0.0.1');
  assert.equal(socketAddressFor('127.0.0.1', 4), '127.0.0.1');
  assert.equal(socketAddressFor('::1', 6), '::1');
});

test('broadcast, multicast and unspecified destinations are refused (RFC 4475 3.3.10)', () => {
  const local = new Set(['192.0.2.255']);
  assert.match(forbiddenDestination('255.255.255.255', local) ?? '', /broadcast/);
  assert.match(forbiddenDestination('192.0.2.255', local) ?? '', /broadcast/);
  assert.match(forbiddenDestination('224.0.0.1', local) ?? '', /multicast/);
  assert.match(forbiddenDestination('ff02::1', local) ?? '', /multicast/);
  assert.match(forbiddenDestination('0.0.0.0', local) ?? '', /unspecified/);
  assert.match(forbiddenDestination('::ffff:255.255.255.255', local) ?? '', /broadcast/);
  assert.equal(forbiddenDestination('192.0.2.1', local), undefined);
  assert.equal(forbiddenDestination('::1', local), undefined);
});
