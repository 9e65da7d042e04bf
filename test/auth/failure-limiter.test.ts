// AuthFailureLimiter: wrong answers counted per address within a minute, a ban past the limit, and a
// bounded memory (a scan from many addresses forgets the quiet ones, never the banned first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthFailureLimiter } from '../../src/auth/failure-limiter.js';

test('the count is per minute: a failure a minute later starts again; past the limit, a ban of banMs', () => {
  const clock = { now: 0 };
  const limiter = new AuthFailureLimiter({ maxFailures: 2, banMs: 30_000, now: () => clock.now });
  limiter.failed('192.0.2.1');
  limiter.failed('192.0.2.1');
  clock.now = 60_000; // a new window: the two above no longer count
  limiter.failed('192.0.2.1');
  limiter.failed('192.0.2.1');
  assert.equal(limiter.bannedFor('192.0.2.1'), 0);
  limiter.failed('192.0.2.1');
  assert.equal(limiter.bannedFor('192.0.2.1'), 30);
  assert.equal(limiter.bannedFor('192.0.2.2'), 0);
  clock.now += 29_500;
  assert.equal(limiter.bannedFor('192.0.2.1'), 1);
  clock.now += 500;
  assert.equal(limiter.bannedFor('192.0.2.1'), 0);
});

test('0 turns the limit off; memory is bounded, banned addresses kept before quiet ones', () => {
  const off = new AuthFailureLimiter({ maxFailures: 0, banMs: 30_000 });
  for (let i = 0; i < 100; i++) off.failed('192.0.2.1');
  assert.equal(off.bannedFor('192.0.2.1'), 0);

  const clock = { now: 0 };
  const limiter = new AuthFailureLimiter({ maxFailures: 1, banMs: 30_000, now: () => clock.now, maxAddresses: 3 });
  limiter.failed('192.0.2.9');
  limiter.failed('192.0.2.9'); // banned, and the oldest entry
  for (let i = 1; i <= 5; i++) limiter.failed(`198.51.100.${i}`);
  assert.equal(limiter.bannedFor('192.0.2.9'), 30, 'the ban survives a scan from many addresses');
});
