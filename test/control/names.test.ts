// AORs and user names as an operator types them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NameError, normalizeAor, parseUserName } from '../../src/control/names.js';

test('an AOR is keyed like the location service keys it', () => {
  assert.equal(normalizeAor('alice@example.com'), 'sip:alice@example.com');
  assert.equal(normalizeAor('SIP:Alice@Example.COM:5070;transport=tcp'), 'sip:Alice@example.com');
  assert.equal(normalizeAor('sips:bob@example.com'), 'sips:bob@example.com');
  assert.equal(normalizeAor('carol@[2001:DB8::1]'), 'sip:carol@[2001:db8::1]');
  // RFC 3261 19.1.4: an escaped unreserved character is the character, as the registrar keys it.
  assert.equal(normalizeAor('%72uth@example.com'), 'sip:ruth@example.com');
  assert.throws(() => normalizeAor('tel:+123'), NameError);
  assert.throws(() => normalizeAor('alice@'), NameError);
});

test('USER@DOMAIN: lower-case domain, user as written', () => {
  assert.deepEqual(parseUserName('Alice@Example.COM'), { username: 'Alice', domain: 'example.com' });
  // The server's own IPv6 address as a domain: kept bare, as the realm of sip:alice@[::1] is.
  assert.deepEqual(parseUserName('alice@[::1]'), { username: 'alice', domain: '::1' });
  assert.deepEqual(parseUserName('alice@2001:DB8::1'), { username: 'alice', domain: '2001:db8::1' });
  // RFC 3261 19.1.4: one address, one domain, whatever its spelling; IPv4-mapped is the IPv4 address.
  assert.deepEqual(parseUserName('u1@[0:0:0:0:0:0:0:1]'), { username: 'u1', domain: '::1' });
  assert.deepEqual(parseUserName('u1@2001:DB8:0:0::1'), { username: 'u1', domain: '2001:db8::1' });
  assert.deepEqual(parseUserName('u2@[::ffff:127.0.0.1]'), { username: 'u2', domain: '127.0.0.1' });
  assert.deepEqual(parseUserName('u2@::FFFF:127.0.0.1'), { username: 'u2', domain: '127.0.0.1' });
  for (const bad of ['alice', '@example.com', 'alice@', 'al ice@example.com', 'alice@exa mple.com', 'alice@a:b', 'alice@[example.com]', 'alice@[::1']) {
    assert.throws(() => parseUserName(bad), /USER@DOMAIN/, bad);
  }
});
