import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NonceIssuer } from '../../src/auth/nonce.js';
import { Clock, SECRET } from './helpers.js';

test('nonces are unique, quoted-string safe, and check as valid and fresh', () => {
  const clock = new Clock();
  const issuer = new NonceIssuer(SECRET, 300_000, clock.now);
  const a = issuer.issue('example.com');
  const b = issuer.issue('example.com');
  assert.notEqual(a, b);
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(issuer.check(a, 'example.com'), { valid: true, issuedAt: clock.ms, stale: false });
});

test('expiry: stale after the lifetime, and when issued more than a lifetime in the future', () => {
  const clock = new Clock();
  const issuer = new NonceIssuer(SECRET, 300_000, clock.now);
  const n = issuer.issue('example.com');
  clock.advance(300);
  assert.deepEqual(issuer.check(n, 'example.com'), { valid: true, issuedAt: clock.ms - 300_000, stale: false });
  clock.advance(1);
  assert.deepEqual(issuer.check(n, 'example.com'), { valid: true, issuedAt: clock.ms - 301_000, stale: true });
  // A node whose clock is 301 s behind sees a nonce from the future.
  const behind = new NonceIssuer(SECRET, 300_000, new Clock(clock.ms - 301_000).now);
  assert.deepEqual(behind.check(issuer.issue('example.com'), 'example.com'), { valid: true, issuedAt: clock.ms, stale: true });
});

test('tampering, another realm, another secret, garbage: invalid', () => {
  const issuer = new NonceIssuer(SECRET, 300_000, Date.now);
  const n = issuer.issue('example.com');
  const raw = Buffer.from(n, 'base64url');
  for (let i = 0; i < raw.length; i++) {
    const t = Buffer.from(raw);
    t[i] ^= 1;
    assert.deepEqual(issuer.check(t.toString('base64url'), 'example.com'), { valid: false }, `byte ${i}`);
  }
  assert.deepEqual(issuer.check(n, 'example.org'), { valid: false });
  assert.deepEqual(new NonceIssuer(Buffer.alloc(32, 1), 300_000, Date.now).check(n, 'example.com'), { valid: false });
  for (const junk of ['', 'x', n + 'A', n.slice(1), `${n.slice(0, 42)}=`, '"quoted"', 'a b']) {
    assert.deepEqual(issuer.check(junk, 'example.com'), { valid: false }, junk);
  }
});
