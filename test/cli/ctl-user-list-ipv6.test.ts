// `ctl user list DOMAIN` takes an IPv6 domain in brackets as well as bare, as `user add` does
// (README "simplesip ctl": `alice@[::1]` or `alice@::1`, kept as the bare address, RFC 3261 25.1
// IPv6reference): `user list '[::1]'` printed nothing while `user list ::1` listed the users.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeControlServer } from './ctl-run.js';

const fake = fakeControlServer();

test('user list [::1] lists the users of ::1, as user list ::1 does', async () => {
  const { ctl } = fake;
  assert.equal((await ctl('user', 'add', 'alice@[::1]', 'pw')).code, 0);
  assert.equal((await ctl('user', 'add', 'bob@example.com', 'pw')).code, 0);
  for (const domain of ['::1', '[::1]']) {
    const listed = await ctl('user', 'list', domain, '--json');
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual((JSON.parse(listed.stdout) as Array<{ user: string }>).map((u) => u.user), ['alice@::1'], domain);
  }
});
