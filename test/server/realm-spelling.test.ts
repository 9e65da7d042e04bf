// One AOR, one realm, one user, whatever the spelling of its IPv6 host (RFC 3261 19.1.4 compares
// hosts as addresses; RFC 5954 4.1): the realm of sip:u6@[0:0:0:0:0:0:0:1] was "0:0:0:0:0:0:0:1", so
// user u6@::1 could never authenticate from a UA configured with that spelling, while a user stored
// under it did, and bound sip:u6@[::1], another user's AOR with another password.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeHa1 } from '../../src/auth/index.js';
import { openStore } from '../../src/store/index.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint } from '../helpers/sip-endpoint.js';

describe('digest realms and users of an IPv6 domain in any spelling', () => {
  let srv: RunningServer;
  let ua: SipEndpoint;

  before(async () => {
    srv = await startServer({ listen: ['udp:127.0.0.1:0', 'udp:[::1]:0'], probeIntervalSeconds: 0, t1Ms: 40 });
    assert.equal(await srv.server.users.add('u6', '::1', 'u6-secret'), 'added');
    assert.equal(await srv.server.users.add('u7', '::1', 'u7-secret'), 'added');
    assert.equal(await srv.server.users.add('alice', '127.0.0.1', 'alice-secret'), 'added');
    ua = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
  });
  after(async () => {
    ua.close();
    await srv.stop();
  });

  test('a second user under another spelling of the domain is refused: it is the same user', async () => {
    assert.equal(await srv.server.users.add('u6', '0:0:0:0:0:0:0:1', 'other'), 'exists');
    assert.deepEqual(srv.server.users.list().map((u) => `${u.username}@${u.domain}`), ['alice@127.0.0.1', 'u6@::1', 'u7@::1']);
  });

  test('a MESSAGE to sip:u7@[0:0:0:0:0:0:0:1], not registered, is for the user u7@::1: stored, not 404', async () => {
    const { response } = await ua.request({
      method: 'MESSAGE', uri: 'sip:u7@[0:0:0:0:0:0:0:1]', from: 'sip:alice@127.0.0.1', to: 'sip:u7@[0:0:0:0:0:0:0:1]',
      fromTag: newTag(), callId: newCallId(), cseq: 1, body: 'hi', contentType: 'text/plain',
    }, 'alice-secret');
    assert.equal(response.status, 202, `${response.status} ${response.reason}`);
  });

  for (const domain of ['[0:0:0:0:0:0:0:1]', '[::1]', '[0::1]']) {
    test(`REGISTER for sip:u6@${domain} is challenged in realm "::1" and u6's password opens it`, async () => {
      const challenge = await ua.register('u6', undefined, { domain });
      assert.equal(challenge.status, 401);
      assert.match(challenge.header('www-authenticate') ?? '', /realm="::1"/);
      assert.equal((await ua.register('u6', 'other', { domain })).status, 401, 'one AOR, one password');
      const ok = await ua.register('u6', 'u6-secret', { domain });
      assert.equal(ok.status, 200, `${ok.status} ${ok.reason}`);
      assert.equal(srv.server.location.lookup('sip:u6@[::1]').length, 1);
    });
  }
});

test('a database of an earlier version: users under another spelling are moved at start, not merged, and stay moved', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'simplesip-realms-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const old = await openStore({ kind: 'sqlite', dataDir });
  const put = (username: string, domain: string, password: string): Promise<void> => old.users.put({
    username, domain, createdAt: 1, ha1Md5: computeHa1('MD5', username, domain, password), ha1Sha256: computeHa1('SHA-256', username, domain, password),
  });
  // As stored before: u1 twice (one AOR, two passwords), u2 under an IPv4-mapped domain no REGISTER reached.
  await put('u1', '::1', 'pw-a');
  await put('u1', '0:0:0:0:0:0:0:1', 'pw-b');
  await put('u2', '::ffff:127.0.0.1', 'pw2');
  await old.close();

  const srv = await startServer({ store: 'sqlite', dataDir, listen: ['udp:127.0.0.1:0', 'udp:[::1]:0'], probeIntervalSeconds: 0, t1Ms: 40 });
  const ua = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
  try {
    assert.deepEqual(srv.server.users.list().map((u) => `${u.username}@${u.domain}`), ['u2@127.0.0.1', 'u1@::1']);
    const domain = '[0:0:0:0:0:0:0:1]';
    assert.equal((await ua.register('u1', 'pw-b', { domain })).status, 401, 'the misspelt copy is gone');
    assert.equal((await ua.register('u1', 'pw-a', { domain })).status, 200);
    // Moved, but its hashes were for realm "::ffff:127.0.0.1": a new password opens it.
    assert.equal((await ua.register('u2', 'pw2', { domain: '[::ffff:127.0.0.1]' })).status, 401);
    assert.equal(await srv.server.users.setPassword('u2', '127.0.0.1', 'pw3'), true);
    assert.equal((await ua.register('u2', 'pw3', { domain: '[::ffff:127.0.0.1]' })).status, 200);
  } finally {
    ua.close();
    await srv.stop();
  }
  const reopened = await openStore({ kind: 'sqlite', dataDir });
  try {
    assert.deepEqual((await reopened.users.all()).map((u) => `${u.username}@${u.domain}`).sort(), ['u1@::1', 'u2@127.0.0.1']);
  } finally {
    await reopened.close();
  }
});
