import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerChallenge, computeHa1, NonceCounter, pickChallenge, type AuthOutcome } from '../../src/auth/index.js';
import { computeResponse } from '../../src/auth/digest-hash.js';
import type { Challenge } from '../../src/sip/index.js';
import { challengesOf, Clock, REALM, request, server } from './helpers.js';

const ALICE = { username: 'alice', password: 'secret' };
const RURI = 'sip:example.com';

function refused(outcome: AuthOutcome): Extract<AuthOutcome, { ok: false }> {
  assert.equal(outcome.ok, false);
  if (outcome.ok) throw new Error('unreachable');
  return outcome;
}

/** The challenge a fresh REGISTER gets, for the given algorithm. */
function challengeFor(s: ReturnType<typeof server>, algorithm: 'MD5' | 'SHA-256', role: 'registrar' | 'proxy' = 'registrar'): Challenge {
  const out = refused(s.authenticate(request('REGISTER', RURI), REALM, role));
  const c = challengesOf(out.headers).find((ch) => ch.params.get('algorithm') === algorithm);
  assert.ok(c);
  return c;
}

function withoutQop(c: Challenge): Challenge {
  const params = new Map(c.params);
  params.delete('qop');
  return { scheme: c.scheme, params };
}

test('no credentials: 401 with one WWW-Authenticate per algorithm, SHA-256 first (RFC 7616 3.3, RFC 8760)', () => {
  const out = refused(server().authenticate(request('REGISTER', RURI), REALM, 'registrar'));
  assert.equal(out.status, 401);
  assert.equal(out.reason, 'Unauthorized');
  assert.equal(out.failure, 'no-credentials');
  assert.deepEqual(out.headers.map(([n]) => n), ['WWW-Authenticate', 'WWW-Authenticate']);
  const [sha, md5] = challengesOf(out.headers);
  assert.equal(sha.scheme, 'Digest');
  assert.equal(sha.params.get('algorithm'), 'SHA-256');
  assert.equal(md5.params.get('algorithm'), 'MD5');
  assert.equal(sha.params.get('realm'), REALM);
  assert.equal(sha.params.get('qop'), 'auth');
  assert.equal(sha.params.get('nonce'), md5.params.get('nonce'));
  assert.equal(sha.params.has('stale'), false);
  assert.match(out.headers[0][1], /^Digest realm="example\.com", nonce="[A-Za-z0-9_-]+", algorithm=SHA-256, qop="auth"$/);
});

test('proxy role: 407 with Proxy-Authenticate, and only Proxy-Authorization is read', () => {
  const s = server();
  const out = refused(s.authenticate(request('MESSAGE', 'sip:bob@example.com'), REALM, 'proxy'));
  assert.equal(out.status, 407);
  assert.equal(out.reason, 'Proxy Authentication Required');
  assert.deepEqual(out.headers.map(([n]) => n), ['Proxy-Authenticate', 'Proxy-Authenticate']);
  const c = challengeFor(s, 'SHA-256', 'proxy');
  const answer = answerChallenge(c, ALICE, 'MESSAGE', 'sip:bob@example.com', 1);
  assert.deepEqual(s.authenticate(request('MESSAGE', 'sip:bob@example.com', [['Proxy-Authorization', answer]]), REALM, 'proxy'),
    { ok: true, username: 'alice', realm: REALM });
  // The same answer in Authorization is not for a proxy; in Proxy-Authorization not for a registrar.
  assert.equal(refused(s.authenticate(request('MESSAGE', 'sip:bob@example.com', [['Authorization', answer]]), REALM, 'proxy')).failure, 'no-credentials');
  const reg = answerChallenge(challengeFor(s, 'MD5'), ALICE, 'REGISTER', RURI, 1);
  assert.equal(refused(s.authenticate(request('REGISTER', RURI, [['Proxy-Authorization', reg]]), REALM, 'registrar')).status, 401);
});

for (const algorithm of ['MD5', 'SHA-256'] as const) {
  test(`round trip ${algorithm} with qop=auth, nc counting up on one nonce`, () => {
    const s = server();
    const c = challengeFor(s, algorithm);
    const counter = new NonceCounter();
    for (let i = 0; i < 3; i++) {
      const answer = answerChallenge(c, ALICE, 'REGISTER', RURI, counter);
      assert.match(answer, new RegExp(`algorithm=${algorithm}, qop=auth, nc=0000000${i + 1}, cnonce="`));
      assert.deepEqual(s.authenticate(request('REGISTER', RURI, [['Authorization', answer]]), REALM, 'registrar'),
        { ok: true, username: 'alice', realm: REALM });
    }
  });

  test(`round trip ${algorithm} without qop (RFC 2069 form), reusable within the lifetime`, () => {
    const s = server();
    const answer = answerChallenge(withoutQop(challengeFor(s, algorithm)), ALICE, 'REGISTER', RURI, 1);
    assert.doesNotMatch(answer, /qop|nc=|cnonce/);
    for (let i = 0; i < 2; i++) {
      assert.equal(s.authenticate(request('REGISTER', RURI, [['Authorization', answer]]), REALM, 'registrar').ok, true);
    }
  });
}

test('qop: false offers no qop; a client answering with qop anyway is still checked', () => {
  const s = server({ qop: false });
  const out = refused(s.authenticate(request('REGISTER', RURI), REALM, 'registrar'));
  assert.match(out.headers[0][1], /^Digest realm="example\.com", nonce="[^"]+", algorithm=SHA-256$/);
  const c = challengesOf(out.headers)[1];
  assert.equal(s.authenticate(request('REGISTER', RURI, [['Authorization', answerChallenge(c, ALICE, 'REGISTER', RURI, 1)]]), REALM, 'registrar').ok, true);
});

test('algorithms option: only the listed ones are offered and accepted', () => {
  const s = server({ algorithms: ['MD5'] });
  const out = refused(s.authenticate(request('REGISTER', RURI), REALM, 'registrar'));
  assert.equal(out.headers.length, 1);
  const md5 = challengesOf(out.headers)[0];
  const forged: Challenge = { scheme: 'Digest', params: new Map(md5.params).set('algorithm', 'SHA-256') };
  const answer = answerChallenge(forged, ALICE, 'REGISTER', RURI, 1);
  assert.equal(refused(s.authenticate(request('REGISTER', RURI, [['Authorization', answer]]), REALM, 'registrar')).failure, 'malformed');
});

test('md5-last order (WebSocket clients): MD5 moves to the end of the offer, the rest keep their order', () => {
  const algorithmsOf = (out: AuthOutcome): Array<string | undefined> => challengesOf(refused(out).headers).map((c) => c.params.get('algorithm'));
  const configured = server({ algorithms: ['MD5', 'SHA-256'] });
  assert.deepEqual(algorithmsOf(configured.authenticate(request('REGISTER', RURI), REALM, 'registrar')), ['MD5', 'SHA-256']);
  assert.deepEqual(algorithmsOf(configured.authenticate(request('MESSAGE', RURI), REALM, 'proxy', 'md5-last')), ['SHA-256', 'MD5']);
  assert.deepEqual(algorithmsOf(server({ algorithms: ['MD5'] }).authenticate(request('REGISTER', RURI), REALM, 'registrar', 'md5-last')), ['MD5']);
  assert.deepEqual(algorithmsOf(server({ algorithms: ['SHA-256'] }).authenticate(request('REGISTER', RURI), REALM, 'registrar', 'md5-last')), ['SHA-256']);
});

test('libpurple style: quoted nc, no cnonce, no qop, no algorithm, uri without the port', () => {
  const s = server();
  const nonce = challengeFor(s, 'MD5').params.get('nonce') ?? '';
  // What finch sends for REGISTER sip:127.0.0.1:5070 after a challenge offering qop=auth: the RFC 2069
  // digest over its own uri, and an nc it should not have sent, quoted.
  const ha1 = computeHa1('MD5', 'alice', REALM, 'secret');
  const response = computeResponse({ algorithm: 'MD5', ha1, nonce, method: 'REGISTER', uri: 'sip:127.0.0.1' });
  const header = `Digest username="alice",realm="${REALM}",nonce="${nonce}",uri="sip:127.0.0.1",nc="00000001",response="${response}"`;
  const reg = (): AuthOutcome => s.authenticate(request('REGISTER', 'sip:127.0.0.1:5070', [['Authorization', header]]), REALM, 'registrar');
  assert.equal(reg().ok, true);
  // finch answers its un-REGISTER at quit with the same nonce and nc: no nc check without qop.
  assert.equal(reg().ok, true);
});

test('digest uri: equal per RFC 3261 19.1.4, or the Request-URI without its port; anything else is wrong-uri', () => {
  const s = server();
  // A fresh challenge per attempt, so every accepted qop answer (nc=1) is on a new nonce.
  const attempt = (digestUri: string, requestUri: string): AuthOutcome =>
    s.authenticate(request('REGISTER', requestUri, [['Authorization', answerChallenge(challengeFor(s, 'SHA-256'), ALICE, 'REGISTER', digestUri, 1)]]), REALM, 'registrar');
  assert.equal(attempt('sip:[::1]:5072', 'sip:[::1]:5072').ok, true);
  assert.equal(attempt('sip:EXAMPLE.com;transport=tcp', 'sip:example.com;transport=tcp').ok, true);
  assert.equal(attempt('sip:example.com', 'sip:example.com:5070').ok, true);
  assert.equal(refused(attempt('sip:example.com:5070', 'sip:example.com')).failure, 'wrong-uri');
  assert.equal(refused(attempt('sip:other.example.com', 'sip:example.com')).failure, 'wrong-uri');
  assert.equal(refused(attempt('sip:example.com;transport=tcp', 'sip:example.com')).failure, 'wrong-uri');
  assert.equal(refused(attempt('sip:carol@example.com', 'sip:bob@example.com:5060')).failure, 'wrong-uri');
});

test('a late nonce with a correct answer gets stale=true (RFC 7616 3.3); a wrong answer does not', () => {
  const clock = new Clock();
  const s = server({ now: clock.now });
  const c = challengeFor(s, 'SHA-256');
  clock.advance(301);
  const good = answerChallenge(c, ALICE, 'REGISTER', RURI, 1);
  const out = refused(s.authenticate(request('REGISTER', RURI, [['Authorization', good]]), REALM, 'registrar'));
  assert.equal(out.failure, 'stale-nonce');
  for (const ch of challengesOf(out.headers)) assert.equal(ch.params.get('stale'), 'true');
  assert.notEqual(challengesOf(out.headers)[0].params.get('nonce'), c.params.get('nonce'));
  // Answering the new challenge works.
  const again = answerChallenge(pickChallenge(challengesOf(out.headers)) ?? c, ALICE, 'REGISTER', RURI, 1);
  assert.equal(s.authenticate(request('REGISTER', RURI, [['Authorization', again]]), REALM, 'registrar').ok, true);
  const bad = answerChallenge(c, { username: 'alice', password: 'nope' }, 'REGISTER', RURI, 1);
  const badOut = refused(s.authenticate(request('REGISTER', RURI, [['Authorization', bad]]), REALM, 'registrar'));
  assert.equal(badOut.failure, 'wrong-password');
  assert.equal(challengesOf(badOut.headers)[0].params.has('stale'), false);
});

test('nonce lifetime is configurable: still good just inside it', () => {
  const clock = new Clock();
  const s = server({ now: clock.now, nonceLifetimeSeconds: 30 });
  const c = challengeFor(s, 'MD5');
  clock.advance(29);
  assert.equal(s.authenticate(request('REGISTER', RURI, [['Authorization', answerChallenge(c, ALICE, 'REGISTER', RURI, 1)]]), REALM, 'registrar').ok, true);
  clock.advance(2);
  assert.equal(refused(s.authenticate(request('REGISTER', RURI, [['Authorization', answerChallenge(c, ALICE, 'REGISTER', RURI, 2)]]), REALM, 'registrar')).failure, 'stale-nonce');
});

test('a tampered or foreign nonce is bad-nonce, challenged without stale', () => {
  const s = server();
  const c = challengeFor(s, 'SHA-256');
  const nonce = c.params.get('nonce') ?? '';
  const flipped = (nonce[5] === 'A' ? 'B' : 'A');
  for (const forged of [nonce.slice(0, 5) + flipped + nonce.slice(6), 'dcd98b7102dd2f0e8b11d0f600bfb0c093', '']) {
    const fake: Challenge = { scheme: 'Digest', params: new Map(c.params).set('nonce', forged) };
    const out = refused(s.authenticate(request('REGISTER', RURI, [['Authorization', answerChallenge(fake, ALICE, 'REGISTER', RURI, 1)]]), REALM, 'registrar'));
    assert.equal(out.failure, 'bad-nonce');
    assert.equal(challengesOf(out.headers)[0].params.has('stale'), false);
  }
  // Another secret (another cluster) does not accept our nonces.
  const other = server({ secret: Buffer.alloc(32, 9) });
  assert.equal(refused(other.authenticate(request('REGISTER', RURI, [['Authorization', answerChallenge(c, ALICE, 'REGISTER', RURI, 1)]]), REALM, 'registrar')).failure, 'bad-nonce');
});

test('nodes sharing the secret accept each other\'s nonces', () => {
  const a = server();
  const b = server();
  const answer = answerChallenge(challengeFor(a, 'SHA-256'), ALICE, 'REGISTER', RURI, 1);
  assert.equal(b.authenticate(request('REGISTER', RURI, [['Authorization', answer]]), REALM, 'registrar').ok, true);
});

test('a replayed nc is refused, without stale', () => {
  const s = server();
  const answer = answerChallenge(challengeFor(s, 'MD5'), ALICE, 'REGISTER', RURI, 1);
  assert.equal(s.authenticate(request('REGISTER', RURI, [['Authorization', answer]]), REALM, 'registrar').ok, true);
  const out = refused(s.authenticate(request('REGISTER', RURI, [['Authorization', answer]]), REALM, 'registrar'));
  assert.equal(out.failure, 'replayed-nc');
  assert.equal(challengesOf(out.headers)[0].params.has('stale'), false);
});

test('out-of-order nc within the window is accepted once', () => {
  const s = server();
  const c = challengeFor(s, 'SHA-256');
  const send = (nc: number): AuthOutcome =>
    s.authenticate(request('REGISTER', RURI, [['Authorization', answerChallenge(c, ALICE, 'REGISTER', RURI, nc)]]), REALM, 'registrar');
  assert.equal(send(2).ok, true);
  assert.equal(send(1).ok, true);
  assert.equal(refused(send(1)).failure, 'replayed-nc');
  assert.equal(send(40).ok, true);
  assert.equal(refused(send(3)).failure, 'replayed-nc'); // 37 behind: outside the window
});

test('nc record is capped: an evicted nonce is answered with stale=true, never accepted again', () => {
  const s = server({ maxTrackedNonces: 2 });
  const challenges = [challengeFor(s, 'MD5'), challengeFor(s, 'MD5'), challengeFor(s, 'MD5')];
  const answers = challenges.map((c) => answerChallenge(c, ALICE, 'REGISTER', RURI, 1));
  for (const a of answers) assert.equal(s.authenticate(request('REGISTER', RURI, [['Authorization', a]]), REALM, 'registrar').ok, true);
  // The first nonce's record was evicted by the third: its replay must not pass.
  const out = refused(s.authenticate(request('REGISTER', RURI, [['Authorization', answers[0]]]), REALM, 'registrar'));
  assert.equal(out.failure, 'stale-nonce');
  assert.equal(challengesOf(out.headers)[0].params.get('stale'), 'true');
  // The two newest are still tracked.
  assert.equal(refused(s.authenticate(request('REGISTER', RURI, [['Authorization', answers[2]]]), REALM, 'registrar')).failure, 'replayed-nc');
});

test('unknown user and wrong password: identical status, reason and headers but for the nonce', () => {
  const s = server();
  const c = challengeFor(s, 'SHA-256');
  const unknown = refused(s.authenticate(request('REGISTER', RURI, [['Authorization',
    answerChallenge(c, { username: 'mallory', password: 'secret' }, 'REGISTER', RURI, 1)]]), REALM, 'registrar'));
  const wrong = refused(s.authenticate(request('REGISTER', RURI, [['Authorization',
    answerChallenge(c, { username: 'alice', password: 'guess' }, 'REGISTER', RURI, 1)]]), REALM, 'registrar'));
  assert.equal(unknown.failure, 'unknown-user');
  assert.equal(wrong.failure, 'wrong-password');
  const shape = (o: typeof unknown): unknown => ({
    status: o.status,
    reason: o.reason,
    headers: o.headers.map(([n, v]) => [n, v.replace(/nonce="[^"]*"/, 'nonce="N"')]),
  });
  assert.deepEqual(shape(unknown), shape(wrong));
  assert.notEqual(unknown.headers[0][1], wrong.headers[0][1]); // a fresh nonce each time
  // And the same as no credentials at all.
  assert.deepEqual(shape(refused(s.authenticate(request('REGISTER', RURI), REALM, 'registrar'))), shape(wrong));
});

test('unknown scheme (RFC 4475 regaut01) is challenged, not an error', () => {
  const s = server();
  const out = refused(s.authenticate(request('REGISTER', RURI, [['Authorization', 'NoOneKnowsThisScheme opaque-data=here']]), REALM, 'registrar'));
  assert.equal(out.status, 401);
  assert.equal(out.failure, 'no-credentials');
  assert.equal(out.headers.length, 2);
});

test('credentials for another realm are ignored; ours among several are found', () => {
  const s = server();
  const c = challengeFor(s, 'SHA-256');
  const foreign: Challenge = { scheme: 'Digest', params: new Map(c.params).set('realm', 'elsewhere.org') };
  const theirs = answerChallenge(foreign, ALICE, 'INVITE', 'sip:bob@example.com', 1);
  const out = refused(s.authenticate(request('INVITE', 'sip:bob@example.com', [['Proxy-Authorization', theirs]]), REALM, 'proxy'));
  assert.equal(out.failure, 'wrong-realm');
  assert.equal(challengesOf(out.headers)[0].params.get('realm'), REALM);
  const pc = challengeFor(s, 'SHA-256', 'proxy');
  const ours = answerChallenge(pc, ALICE, 'INVITE', 'sip:bob@example.com', 1);
  assert.equal(s.authenticate(request('INVITE', 'sip:bob@example.com', [['Proxy-Authorization', theirs], ['Proxy-Authorization', ours]]), REALM, 'proxy').ok, true);
});

test('malformed credentials are challenged with failure malformed', () => {
  const s = server();
  const c = challengeFor(s, 'MD5');
  const good = answerChallenge(c, ALICE, 'REGISTER', RURI, 1);
  const cases = [
    good.replace(/response="[^"]*", /, ''),
    good.replace(/username="alice", /, ''),
    good.replace(/nc=00000001/, 'nc=1'),
    good.replace(/, cnonce="[^"]*"/, ''),
    good.replace(/qop=auth/, 'qop=auth-int'),
    good.replace(/algorithm=MD5/, 'algorithm=MD5-sess'),
    'Digest realm="example.com", username="alice", nonce="x", uri="sip:example.com", response="0", "unbalanced',
  ];
  for (const header of cases) {
    const out = refused(s.authenticate(request('REGISTER', RURI, [['Authorization', header]]), REALM, 'registrar'));
    assert.equal(out.failure, 'malformed', header);
    assert.equal(out.status, 401);
  }
});

test('the response is compared case-insensitively (LHEX from shouting clients)', () => {
  const s = server();
  const answer = answerChallenge(challengeFor(s, 'MD5'), ALICE, 'REGISTER', RURI, 1)
    .replace(/response="([0-9a-f]+)"/, (_m, hex: string) => `response="${hex.toUpperCase()}"`);
  assert.equal(s.authenticate(request('REGISTER', RURI, [['Authorization', answer]]), REALM, 'registrar').ok, true);
});

test('the method is part of the digest: an answer for REGISTER does not authorize INVITE', () => {
  const s = server();
  const answer = answerChallenge(challengeFor(s, 'SHA-256', 'proxy'), ALICE, 'REGISTER', 'sip:bob@example.com', 1);
  assert.equal(refused(s.authenticate(request('INVITE', 'sip:bob@example.com', [['Proxy-Authorization', answer]]), REALM, 'proxy')).failure, 'wrong-password');
});

test('bad options are refused', () => {
  assert.throws(() => server({ secret: Buffer.alloc(8) }), RangeError);
  assert.throws(() => server({ nonceLifetimeSeconds: 0 }), RangeError);
  assert.throws(() => server({ algorithms: [] }), RangeError);
  assert.throws(() => server({ algorithms: ['MD5', 'MD5'] }), RangeError);
  assert.throws(() => server({ maxTrackedNonces: 0 }), RangeError);
});
