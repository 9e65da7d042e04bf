// AORs and user names as an operator types them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NameError, normalizeAor, parseUserName } from '../../src/control/names.js';

test('an AOR is keyed like the location service keys it', () => {
  assert.equal(normalizeAor('alice@example.com'), 'sip:alice@example.com');
  assert.equal(normalizeAor('SIP:Alice@Example.COM:5070;transport=tcp'), 'sip:Alice@example.com');
  assert.equal(normalizeAor('sips:bob@example.com'), 'sips:bob@example.com');
  assert.equal(normalizeAor('carol@[2001:DB8::1]'), 'sip:carol@[2001:db8::1]');
  assert.throws(() => normalizeAor('tel:+123'), NameError);
  assert.throws(() => normalizeAor('alice@'), NameError);
});

test('USER@DOMAIN: lower-case domain, user as written', () => {
  assert.deepEqual(parseUserName('Alice@Example.COM'), { username: 'Alice', domain: 'example.com' });
  for (const bad of ['alice', '@example.com', 'alice@', 'al ice@example.com', 'alice@exa mple.com']) {
    assert.throws(() => parseUserName(bad), /USER@DOMAIN/, bad);
  }
});
