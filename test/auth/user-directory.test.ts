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
