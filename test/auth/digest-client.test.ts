import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerChallenge, NonceCounter, pickChallenge } from '../../src/auth/index.js';
import { computeHa1, computeResponse } from '../../src/auth/digest-hash.js';
import { parseAuth, type Challenge } from '../../src/sip/index.js';

const challenge = (text: string): Challenge => parseAuth(text, 'WWW-Authenticate');
const MUFASA = { username: 'Mufasa', password: 'Circle Of Life' };

test('pickChallenge prefers SHA-256, then MD5 (absent algorithm = MD5), skips what it cannot answer', () => {
  const md5 = challenge('Digest realm="r", nonce="n"');
  const sha = challenge('Digest realm="r", nonce="n", algorithm=SHA-256');
  assert.equal(pickChallenge([md5, sha]), sha);
  assert.equal(pickChallenge([sha, md5]), sha);
  assert.equal(pickChallenge([challenge('Basic realm="r"'), md5]), md5);
  assert.equal(pickChallenge([challenge('Digest realm="r", nonce="n", algorithm=SHA-512-256'), md5]), md5);
  assert.equal(pickChallenge([challenge('digest realm="r", nonce="n", algorithm=sha-256')])?.params.get('algorithm'), 'sha-256');
  assert.equal(pickChallenge([challenge('Digest realm="r"'), challenge('Basic realm="r"')]), undefined);
  assert.equal(pickChallenge([]), undefined);
});

test('qop=auth answer: all parameters, a verifiable response, a fresh cnonce each time', () => {
  const c = challenge('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  const text = answerChallenge(c, MUFASA, 'GET', '/dir/index.html', 1);
  const a = parseAuth(text, 'Authorization');
  assert.equal(a.scheme, 'Digest');
  assert.deepEqual([...a.params.keys()], ['username', 'realm', 'nonce', 'uri', 'response', 'algorithm', 'qop', 'nc', 'cnonce', 'opaque']);
  assert.equal(a.params.get('nc'), '00000001');
  assert.equal(a.params.get('qop'), 'auth');
  assert.equal(a.params.get('opaque'), '5ccc069c403ebaf9f0171e9517f40e41');
  assert.match(text, /qop=auth, nc=00000001, cnonce="[0-9a-f]{24}"/);
  const cnonce = a.params.get('cnonce') ?? '';
  const expected = computeResponse({
    algorithm: 'MD5', ha1: computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life'),
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', method: 'GET', uri: '/dir/index.html', qop: { nc: '00000001', cnonce },
  });
  assert.equal(a.params.get('response'), expected);
  assert.notEqual(parseAuth(answerChallenge(c, MUFASA, 'GET', '/dir/index.html', 1), 'x').params.get('cnonce'), cnonce);
});

test('without qop: the RFC 2069 form reproduces the RFC 2069 example response', () => {
  const c = challenge('Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  const a = parseAuth(answerChallenge(c, { username: 'Mufasa', password: 'CircleOfLife' }, 'GET', '/dir/index.html', 1), 'x');
  assert.equal(a.params.get('response'), '1949323746fe6a43ef61f9606e7febea');
  assert.equal(a.params.has('qop'), false);
  assert.equal(a.params.has('nc'), false);
  assert.equal(a.params.has('cnonce'), false);
});

test('SHA-256 challenge gives a SHA-256 answer', () => {
  const c = challenge('Digest realm="http-auth@example.org", qop="auth", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"');
  const a = parseAuth(answerChallenge(c, { username: 'Mufasa', password: 'Circle of Life' }, 'GET', '/dir/index.html', 1), 'x');
  assert.equal(a.params.get('algorithm'), 'SHA-256');
  assert.match(a.params.get('response') ?? '', /^[0-9a-f]{64}$/);
});

test('NonceCounter counts per nonce and starts again at 1 for a new nonce', () => {
  const counter = new NonceCounter();
  const nc = (nonce: string): string | undefined =>
    parseAuth(answerChallenge(challenge(`Digest realm="r", qop="auth", nonce="${nonce}"`), MUFASA, 'REGISTER', 'sip:r', counter), 'x').params.get('nc');
  assert.equal(nc('a'), '00000001');
  assert.equal(nc('a'), '00000002');
  assert.equal(nc('b'), '00000001');
  assert.equal(counter.next('b'), 2);
  const big = parseAuth(answerChallenge(challenge('Digest realm="r", qop="auth", nonce="a"'), MUFASA, 'REGISTER', 'sip:r', 0x1ab), 'x');
  assert.equal(big.params.get('nc'), '000001ab');
});

test('quotes and backslashes in the username are escaped and survive the round trip', () => {
  const c = challenge('Digest realm="r", nonce="n"');
  const a = parseAuth(answerChallenge(c, { username: 'a"b\\c', password: 'p' }, 'REGISTER', 'sip:r', 1), 'x');
  assert.equal(a.params.get('username'), 'a"b\\c');
});

test('unanswerable challenges throw', () => {
  assert.throws(() => answerChallenge(challenge('Digest realm="r", nonce="n", algorithm=MD5-sess'), MUFASA, 'REGISTER', 'sip:r', 1), /algorithm/);
  assert.throws(() => answerChallenge(challenge('Digest realm="r", nonce="n", qop="auth-int"'), MUFASA, 'REGISTER', 'sip:r', 1), /qop/);
  assert.throws(() => answerChallenge(challenge('Digest realm="r"'), MUFASA, 'REGISTER', 'sip:r', 1), /nonce/);
});
