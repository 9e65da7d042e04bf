import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerChallenge, computeHa1, DigestServer, InvalidUserError, UserDirectory } from '../../src/auth/index.js';
import type { UserRecord, UserRepository } from '../../src/store/types.js';
import { challengesOf, request, SECRET } from './helpers.js';

/** A Map-backed UserRepository that logs every call; `gate` lets a test hold writes back. */
class FakeRepo implements UserRepository {
  readonly rows = new Map<string, UserRecord>();
  readonly log: string[] = [];
  gate: Promise<void> = Promise.resolve();
  failNext = false;

  async all(): Promise<UserRecord[]> {
    return [...this.rows.values()].map((r) => ({ ...r }));
  }

  async put(user: UserRecord): Promise<void> {
    this.log.push(`put ${JSON.stringify(user)}`);
    await this.gate;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    this.rows.set(`${user.username}@${user.domain}`, { ...user });
  }

  async remove(username: string, domain: string): Promise<boolean> {
    this.log.push(`remove ${username}@${domain}`);
    await this.gate;
    return this.rows.delete(`${username}@${domain}`);
  }
}

test('add stores HA1 for MD5 and SHA-256 with realm = lower-cased domain, never the password', async () => {
  const repo = new FakeRepo();
  const dir = new UserDirectory(repo, () => 1234);
  assert.equal(await dir.add('alice', 'Example.COM', 'correct horse'), 'added');
  assert.equal(await dir.add('alice', 'example.com', 'other'), 'exists');
  assert.deepEqual([...repo.rows.values()], [{
    username: 'alice', domain: 'example.com', createdAt: 1234,
    ha1Md5: computeHa1('MD5', 'alice', 'example.com', 'correct horse'),
    ha1Sha256: computeHa1('SHA-256', 'alice', 'example.com', 'correct horse'),
  }]);
  assert.equal(dir.ha1('alice', 'example.com', 'MD5'), computeHa1('MD5', 'alice', 'example.com', 'correct horse'));
  assert.equal(dir.ha1('alice', 'EXAMPLE.com', 'SHA-256'), computeHa1('SHA-256', 'alice', 'example.com', 'correct horse'));
  assert.equal(dir.ha1('Alice', 'example.com', 'MD5'), undefined); // user parts are case-sensitive
  assert.equal(dir.has('alice', 'EXAMPLE.COM'), true);
  await dir.setPassword('alice', 'example.com', 'battery staple');
  for (const line of repo.log) {
    assert.ok(!line.includes('correct horse') && !line.includes('battery staple'), line);
  }
});

test('load fills the map from the repository; lookups are synchronous', async () => {
  const repo = new FakeRepo();
  await new UserDirectory(repo).add('bob', 'example.org', 'pw');
  const dir = await UserDirectory.load(repo);
  assert.equal(dir.has('bob', 'example.org'), true);
  assert.equal(dir.ha1('bob', 'example.org', 'MD5'), computeHa1('MD5', 'bob', 'example.org', 'pw'));
});

// RFC 3261 19.1.4: hosts compare as addresses (RFC 5954 4.1), so a domain has one form, which is also
// the realm the server challenges in (request-auth.ts) and the one HA1 is computed over.
test('a domain written in another spelling of an address, or IPv4-mapped, is one domain: one user, one realm', async () => {
  const repo = new FakeRepo();
  const dir = new UserDirectory(repo, () => 7);
  assert.equal(await dir.add('u1', '[0:0:0:0:0:0:0:1]', 'pw1'), 'added');
  assert.equal(await dir.add('u1', '::1', 'other'), 'exists', 'the same AOR, sip:u1@[::1]');
  assert.equal(await dir.add('u2', '[::ffff:127.0.0.1]', 'pw2'), 'added');
  assert.equal(await dir.add('u2', '127.0.0.1', 'other'), 'exists');
  assert.deepEqual([...repo.rows.keys()], ['u1@::1', 'u2@127.0.0.1']);
  assert.equal(dir.ha1('u1', '::1', 'MD5'), computeHa1('MD5', 'u1', '::1', 'pw1'), 'HA1 over the realm that is sent');
  assert.equal(dir.ha1('u2', '127.0.0.1', 'SHA-256'), computeHa1('SHA-256', 'u2', '127.0.0.1', 'pw2'));
  assert.equal(dir.has('u1', '0:0::1'), true);
  assert.equal(dir.has('u2', '::ffff:127.0.0.1'), true);
  assert.deepEqual(dir.list('[0:0:0:0:0:0:0:1]').map((u) => `${u.username}@${u.domain}`), ['u1@::1']);
  assert.equal(await dir.setPassword('u2', '[::FFFF:127.0.0.1]', 'pw3'), true);
  assert.equal(dir.ha1('u2', '127.0.0.1', 'MD5'), computeHa1('MD5', 'u2', '127.0.0.1', 'pw3'));
  assert.equal(await dir.remove('u1', '0:0:0:0:0:0:0:1'), true);
  assert.deepEqual([...repo.rows.keys()], ['u2@127.0.0.1']);
});

test('load moves users stored under another spelling of their domain; two that become one are not merged', async () => {
  const repo = new FakeRepo();
  const row = (username: string, domain: string, createdAt: number, password = 'old'): void => {
    repo.rows.set(`${username}@${domain}`, {
      username, domain, createdAt, ha1Md5: computeHa1('MD5', username, domain, password), ha1Sha256: computeHa1('SHA-256', username, domain, password),
    });
  };
  // As an earlier version stored them: the domain as typed, lower-cased.
  row('u1', '::1', 5, 'canonical');
  row('u1', '0:0:0:0:0:0:0:1', 1);
  row('u2', '::ffff:127.0.0.1', 2);
  row('u3', '[2001:db8::3]', 3);
  row('u4', '0:0::4', 6);
  row('u4', '0::4', 4);
  const warnings: string[] = [];
  const dir = await UserDirectory.load(repo, undefined, { warn: (_obj, msg) => warnings.push(msg ?? '') });
  assert.deepEqual([...repo.rows.keys()].sort(), ['u1@::1', 'u2@127.0.0.1', 'u3@2001:db8::3', 'u4@::4']);
  assert.deepEqual(dir.list().map((u) => `${u.username}@${u.domain} ${u.createdAt}`), ['u2@127.0.0.1 2', 'u3@2001:db8::3 3', 'u1@::1 5', 'u4@::4 4']);
  // The user stored canonically keeps his password; the oldest of two misspelt copies is the one kept.
  assert.equal(dir.ha1('u1', '::1', 'MD5'), computeHa1('MD5', 'u1', '::1', 'canonical'));
  assert.deepEqual(warnings.sort(), [
    'user u1@::1 was also stored under another spelling of ::1; that copy is removed, not merged (its password hashes were for a realm never sent; u1@::1 keeps its own password)',
    'user u2@127.0.0.1 was stored under another spelling of 127.0.0.1 and is moved to it; set the password again (simplesip ctl user passwd u2@127.0.0.1): the stored hashes were for a realm never sent, so u2@127.0.0.1 cannot authenticate until then',
    'user u3@2001:db8::3 was stored under another spelling of 2001:db8::3 and is moved to it; set the password again (simplesip ctl user passwd u3@2001:db8::3): the stored hashes were for a realm never sent, so u3@2001:db8::3 cannot authenticate until then',
    'user u4@::4 was also stored under another spelling of ::4; that copy is removed, not merged (its password hashes were for a realm never sent; u4@::4 keeps its own password)',
    'user u4@::4 was stored under another spelling of ::4 and is moved to it; set the password again (simplesip ctl user passwd u4@::4): the stored hashes were for a realm never sent, so u4@::4 cannot authenticate until then',
  ]);
  assert.ok(!warnings.join('\n').includes('::ffff:'), 'the stored spelling is not shown');
  // Once the password is set again, the moved user authenticates in the canonical realm.
  assert.equal(await dir.setPassword('u2', '127.0.0.1', 'new'), true);
  assert.equal(dir.ha1('u2', '127.0.0.1', 'MD5'), computeHa1('MD5', 'u2', '127.0.0.1', 'new'));
  // A second start finds nothing to move.
  warnings.length = 0;
  await UserDirectory.load(repo, undefined, { warn: (_obj, msg) => warnings.push(msg ?? '') });
  assert.deepEqual(warnings, []);
});

test('remove and setPassword write through and update the map', async () => {
  const repo = new FakeRepo();
  const dir = new UserDirectory(repo, () => 1);
  await dir.add('carol', 'example.com', 'one');
  const created = repo.rows.get('carol@example.com')?.createdAt;
  const dir2 = new UserDirectory(repo, () => 99);
  await dir2.add('dave', 'example.com', 'x');
  assert.equal(await dir.setPassword('carol', 'EXAMPLE.com', 'two'), true);
  assert.equal(repo.rows.get('carol@example.com')?.ha1Sha256, computeHa1('SHA-256', 'carol', 'example.com', 'two'));
  assert.equal(repo.rows.get('carol@example.com')?.createdAt, created);
  assert.equal(dir.ha1('carol', 'example.com', 'MD5'), computeHa1('MD5', 'carol', 'example.com', 'two'));
  assert.equal(await dir.setPassword('nobody', 'example.com', 'x'), false);
  assert.equal(await dir.remove('carol', 'Example.com'), true);
  assert.equal(repo.rows.has('carol@example.com'), false);
  assert.equal(dir.has('carol', 'example.com'), false);
  assert.equal(await dir.remove('carol', 'example.com'), false);
  assert.deepEqual(repo.log.filter((l) => l.startsWith('remove')), ['remove carol@example.com']);
});

test('durable first: the map changes only once the repository has resolved, and not at all on failure', async () => {
  const repo = new FakeRepo();
  const dir = new UserDirectory(repo);
  let release = (): void => undefined;
  repo.gate = new Promise((resolve) => { release = resolve; });
  const pending = dir.add('erin', 'example.com', 'pw');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(dir.has('erin', 'example.com'), false);
  release();
  assert.equal(await pending, 'added');
  assert.equal(dir.has('erin', 'example.com'), true);
  repo.failNext = true;
  await assert.rejects(dir.add('frank', 'example.com', 'pw'), /disk full/);
  assert.equal(dir.has('frank', 'example.com'), false);
  assert.equal(await dir.add('frank', 'example.com', 'pw'), 'added');
});

test('concurrent operations on one user take effect in call order', async () => {
  const repo = new FakeRepo();
  const dir = new UserDirectory(repo);
  const results = await Promise.all([
    dir.add('gina', 'example.com', 'a'),
    dir.add('gina', 'example.com', 'b'),
    dir.setPassword('gina', 'example.com', 'c'),
    dir.remove('gina', 'example.com'),
    dir.setPassword('gina', 'example.com', 'd'),
  ]);
  assert.deepEqual(results, ['added', 'exists', true, true, false]);
  assert.equal(repo.log.filter((l) => l.startsWith('put')).length, 2);
  assert.equal(repo.rows.size, 0);
});

test('list: summaries sorted by domain then username, optionally one domain', async () => {
  const dir = new UserDirectory(new FakeRepo(), () => 5);
  await dir.add('zed', 'a.example', 'p');
  await dir.add('amy', 'b.example', 'p');
  await dir.add('bob', 'a.example', 'p');
  assert.deepEqual(dir.list().map((u) => `${u.username}@${u.domain}`), ['bob@a.example', 'zed@a.example', 'amy@b.example']);
  assert.deepEqual(dir.list('B.example'), [{ username: 'amy', domain: 'b.example', createdAt: 5 }]);
});

test('usernames, domains and passwords are validated with clear errors', async () => {
  const repo = new FakeRepo();
  const dir = new UserDirectory(repo);
  const bad: Array<[string, string, string, RegExp]> = [
    ['', 'example.com', 'p', /username is empty/],
    ['al ice', 'example.com', 'p', /whitespace/],
    ['alice@example.com', 'example.com', 'p', /"@"/],
    ['alice:pw', 'example.com', 'p', /":"/],
    ['al<ice', 'example.com', 'p', /"<".*RFC 3261 25\.1/],
    ['al%4', 'example.com', 'p', /escape/],
    ['alice', '', 'p', /domain/],
    ['alice', 'exa mple.com', 'p', /domain/],
    ['alice', 'a@b', 'p', /domain/],
    ['alice', '[example.com]', 'p', /domain/],
    ['alice', 'example.com', '', /password is empty/],
  ];
  for (const [u, d, p, message] of bad) {
    await assert.rejects(dir.add(u, d, p), (err: unknown) => err instanceof InvalidUserError && message.test(err.message), `${u}|${d}|${p}`);
  }
  await assert.rejects(dir.setPassword('alice', 'example.com', ''), InvalidUserError);
  assert.equal(repo.log.length, 0);
  for (const [u, d] of [["a.b-c_d!~*'()&=+$,;?/%41", 'example.com'], ['1000', '192.0.2.1'], ['x', '[2001:DB8::1]'], ['y', '2001:db8::1']]) {
    assert.equal(await dir.add(u, d, 'p'), 'added', `${u}@${d}`);
  }
  assert.equal(dir.has('x', '[2001:db8::1]'), true);
});

test('end to end: a user added to the directory authenticates through DigestServer', async () => {
  const dir = new UserDirectory(new FakeRepo());
  await dir.add('alice', 'example.com', 'secret');
  const s = new DigestServer({ secret: SECRET, credentials: dir });
  const out = s.authenticate(request('REGISTER', 'sip:example.com'), 'example.com', 'registrar');
  assert.ok(!out.ok);
  const [sha] = challengesOf(out.headers);
  const answer = answerChallenge(sha, { username: 'alice', password: 'secret' }, 'REGISTER', 'sip:example.com', 1);
  assert.deepEqual(s.authenticate(request('REGISTER', 'sip:example.com', [['Authorization', answer]]), 'example.com', 'registrar'),
    { ok: true, username: 'alice', realm: 'example.com' });
  await dir.setPassword('alice', 'example.com', 'changed');
  const again = answerChallenge(sha, { username: 'alice', password: 'secret' }, 'REGISTER', 'sip:example.com', 2);
  assert.equal(s.authenticate(request('REGISTER', 'sip:example.com', [['Authorization', again]]), 'example.com', 'registrar').ok, false);
});
