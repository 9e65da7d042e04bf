// Which hosts name this server, and which domains are one (LocalIdentity).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalIdentity } from '../../src/server/local-identity.js';

test('the server\'s own addresses and localhost are one domain; configured domains stay their own', () => {
  const identity = new LocalIdentity(['example.com', 'example.org']);
  identity.addListener('127.0.0.1', 5060);
  identity.addListener('::1', 5060);
  assert.equal(identity.sameDomain('127.0.0.1', '[::1]'), true, 'IPv4 and IPv6 (bracketed, as in an AOR)');
  assert.equal(identity.sameDomain('[0:0:0:0:0:0:0:1]', 'LOCALHOST'), true, 'any spelling of the address, any case');
  assert.equal(identity.sameDomain('Example.COM', 'example.com'), true);
  assert.equal(identity.sameDomain('example.com', 'example.org'), false, 'two tenants');
  assert.equal(identity.sameDomain('example.com', '127.0.0.1'), false, 'a named domain is not the server\'s address');
  assert.equal(identity.sameDomain('192.0.2.7', '127.0.0.1'), false, 'an address that is not ours');
  assert.equal(identity.sameDomain('192.0.2.7', '192.0.2.7'), true, 'the same text is always one domain');
});

test('configured domains are served in any spelling of their address (RFC 3261 19.1.4, RFC 5954 4.1)', () => {
  const identity = new LocalIdentity(['2001:DB8:0:0::1', '[2001:db8:0::2]', '::ffff:192.0.2.7', 'Example.COM']);
  for (const host of ['2001:db8::1', '[2001:db8::1]', '2001:DB8:0:0:0:0:0:1', '[2001:db8::2]', '2001:db8:0:0::2', '192.0.2.7', '[::ffff:192.0.2.7]', 'example.com']) {
    assert.equal(identity.isLocalDomain(host), true, host);
  }
  assert.equal(identity.isLocalDomain('2001:db8::3'), false);
  assert.deepEqual(identity.domainList.sort(), ['192.0.2.7', '2001:db8::1', '2001:db8::2', 'example.com', 'localhost'], 'no ::ffff:, no brackets, no odd spellings');
});
