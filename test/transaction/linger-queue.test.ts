import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LingerQueue } from '../../src/transaction/linger-queue.js';
import { TimerHeap } from '../../src/transaction/timer-heap.js';

test('linger queue: every entry expires once, in order, at its own deadline, with one timer on the heap', () => {
  let now = 0;
  const heap = new TimerHeap({ now: () => now, autoRun: false });
  const expired: Array<[number, number]> = [];
  const queue = new LingerQueue<number>(heap, 32_000, (n) => expired.push([n, now]));
  // 10 000 entries, 10 per millisecond: past the point where the drained front is cut off.
  for (let i = 0; i < 10_000; i++) {
    now = Math.floor(i / 10);
    queue.add(i);
  }
  assert.equal(heap.size, 1);
  now = 31_999;
  heap.runDue();
  assert.equal(expired.length, 0);
  for (now = 32_000; now < 33_000; now++) heap.runDue();
  assert.equal(expired.length, 10_000);
  assert.deepEqual(expired.map(([n]) => n), Array.from({ length: 10_000 }, (_, i) => i));
  assert.ok(expired.every(([n, at]) => at === 32_000 + Math.floor(n / 10)));
  assert.equal(queue.size, 0);
  assert.equal(heap.size, 0, 'no timer left once the queue is empty');
  queue.add(1);
  queue.clear();
  assert.equal(heap.size, 0);
});
