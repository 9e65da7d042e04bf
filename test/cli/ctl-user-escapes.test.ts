// A user name typed with escapes names the user the registrar would key it as (RFC 3261 19.1.4: an
// escaped unreserved character is the character): `ctl user add %64ave@example.com` when dave exists
// is "already exists" (exit 4), not a second user no UA could ever log in as. README "simplesip ctl".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUserName } from '../../src/control/names.js';
import { fakeControlServer } from './ctl-run.js';

const fake = fakeControlServer();

test('an escaped unreserved character in a user name is the character; other escapes are upper-case', () => {
  assert.deepEqual(parseUserName('%64ave@example.com'), { username: 'dave', domain: 'example.com' });
  assert.deepEqual(parseUserName('a%2fb@example.com'), { username: 'a%2Fb', domain: 'example.com' });
  assert.deepEqual(parseUserName('%64ave@example.com', true), { username: '%64ave', domain: 'example.com' });
});

test('ctl user add %64ave@... when dave exists: exit 4; passwd and rm reach dave', async () => {
  const { ctl } = fake;
  assert.equal((await ctl('user', 'add', 'dave@example.com', 'pw1')).code, 0);
  const again = await ctl('user', 'add', '%64ave@example.com', 'pw2');
  assert.equal(again.code, 4, again.stderr);
  assert.match(again.stderr, /dave@example\.com already exists/);
  assert.deepEqual([...fake.context.users.users.keys()], ['dave@example.com']);
  assert.equal((await ctl('user', 'passwd', '%64ave@example.com', 'pw3')).code, 0);
  assert.equal(fake.context.users.users.get('dave@example.com')?.password, 'pw3');
  // One stored before the rule, as written, can still be removed as written.
  await fake.context.users.add('%65ve', 'example.com', 'x');
  const rm = await ctl('user', 'rm', '%65ve@example.com');
  assert.equal(rm.code, 0, rm.stderr);
  assert.deepEqual([...fake.context.users.users.keys()], ['dave@example.com']);
});
