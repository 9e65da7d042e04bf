import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NcTracker } from '../../src/auth/nc-tracker.js';

const LIFE = 300_000;

test('increasing nc is fresh; a repeat is replayed; out of order within 32 accepted once', () => {
  const t = new NcTracker(10, LIFE);
  assert.equal(t.use('n', 0, 1, 0), 'fresh');
  assert.equal(t.use('n', 0, 1, 0), 'replayed');
  assert.equal(t.use('n', 0, 5, 0), 'fresh');
  assert.equal(t.use('n', 0, 3, 0), 'fresh');
  assert.equal(t.use('n', 0, 3, 0), 'replayed');
  assert.equal(t.use('n', 0, 36, 0), 'fresh');
  assert.equal(t.use('n', 0, 5, 0), 'replayed'); // 31 behind, already seen
  assert.equal(t.use('n', 0, 4, 0), 'replayed'); // 32 behind: outside the window
  assert.equal(t.use('n', 0, 6, 0), 'fresh'); // 30 behind, unseen
  assert.equal(t.use('n', 0, 0xffffffff, 0), 'fresh');
  assert.equal(t.use('n', 0, 0xffffffff, 0), 'replayed');
  assert.equal(t.use('other', 0, 1, 0), 'fresh');
});

test('bounded: never more than maxNonces records; the oldest go first and are then forgotten', () => {
  const t = new NcTracker(3, LIFE);
  for (let i = 0; i < 100; i++) {
    assert.equal(t.use(`n${i}`, i, 1, i), 'fresh');
    assert.ok(t.size <= 3);
  }
  assert.equal(t.size, 3);
  assert.equal(t.use('n97', 97, 1, 100), 'replayed');
  assert.equal(t.use('n50', 50, 2, 100), 'forgotten');
  // A nonce issued after every evicted one is simply new.
  assert.equal(t.use('late', 98, 1, 100), 'fresh');
});

test('records of expired nonces are dropped when new ones arrive, without marking anything forgotten', () => {
  const t = new NcTracker(100, LIFE);
  t.use('a', 0, 1, 0);
  t.use('b', 10, 1, 10);
  t.use('c', LIFE + 20, 1, LIFE + 20);
  assert.equal(t.size, 1);
  assert.equal(t.use('d', 5, 1, LIFE + 20), 'fresh'); // not forgotten: a and b expired, not evicted
});

test('maxNonces must be a positive integer', () => {
  assert.throws(() => new NcTracker(0, LIFE), RangeError);
  assert.throws(() => new NcTracker(1.5, LIFE), RangeError);
});
