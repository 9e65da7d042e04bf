import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerHeap } from '../../src/transaction/timer-heap.js';

function manualHeap(): { heap: TimerHeap; clock: { t: number } } {
  const clock = { t: 0 };
  return { heap: new TimerHeap({ now: () => clock.t, autoRun: false }), clock };
}

function countNodeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

test('timers fire in deadline order, equal deadlines in scheduling order', () => {
  const { heap, clock } = manualHeap();
  const fired: string[] = [];
  for (const [name, delay] of [['c', 30], ['a', 10], ['b1', 20], ['b2', 20], ['z', 0]] as const) {
    heap.schedule(delay, () => fired.push(name));
  }
  assert.equal(heap.nextDeadline(), 0);
  clock.t = 20;
  assert.equal(heap.runDue(), 4);
  assert.deepEqual(fired, ['z', 'a', 'b1', 'b2']);
  clock.t = 29;
  assert.equal(heap.runDue(), 0);
  clock.t = 30;
  heap.runDue();
  assert.deepEqual(fired, ['z', 'a', 'b1', 'b2', 'c']);
  assert.equal(heap.size, 0);
});

test('cancel removes a timer at once; cancel twice and after firing is harmless', () => {
  const { heap, clock } = manualHeap();
  const fired: number[] = [];
  const handles = Array.from({ length: 100 }, (_, i) => heap.schedule((i * 37) % 100, () => fired.push(i)));
  for (let i = 0; i < 100; i += 3) handles[i].cancel();
  handles[0].cancel();
  assert.equal(heap.size, 100 - 34);
  assert.equal(handles[0].pending, false);
  assert.equal(handles[1].pending, true);
  clock.t = 100;
  heap.runDue();
  handles[1].cancel();
  assert.equal(heap.size, 0);
  const expected = Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 3 !== 0);
  expected.sort((a, b) => ((a * 37) % 100) - ((b * 37) % 100));
  assert.deepEqual(fired, expected);
});

test('random schedule/cancel keeps heap order (against a sorted model)', () => {
  const { heap, clock } = manualHeap();
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const live = new Map<number, { deadline: number; handle: ReturnType<TimerHeap['schedule']> }>();
  const fired: number[] = [];
  for (let id = 0; id < 5000; id++) {
    const deadline = rand(1000);
    live.set(id, { deadline, handle: heap.schedule(deadline, () => fired.push(id)) });
    if (rand(3) === 0) {
      const victim = rand(id + 1);
      live.get(victim)?.handle.cancel();
      live.delete(victim);
    }
  }
  clock.t = 1000;
  heap.runDue();
  const expected = [...live.entries()].sort((a, b) => a[1].deadline - b[1].deadline || a[0] - b[0]).map(([id]) => id);
  assert.deepEqual(fired, expected);
});

test('a callback that schedules an already-due timer runs it in the same runDue', () => {
  const { heap, clock } = manualHeap();
  const fired: string[] = [];
  heap.schedule(10, () => {
    fired.push('first');
    heap.schedule(0, () => fired.push('chained'));
    heap.schedule(5, () => fired.push('later'));
  });
  clock.t = 10;
  heap.runDue();
  assert.deepEqual(fired, ['first', 'chained']);
  assert.equal(heap.nextDeadline(), 15);
});

test('a throwing callback does not stop the other due timers', () => {
  const { heap, clock } = manualHeap();
  const fired: string[] = [];
  heap.schedule(1, () => {
    throw new Error('boom');
  });
  heap.schedule(2, () => fired.push('after'));
  clock.t = 5;
  assert.throws(() => heap.runDue(), /boom/);
  assert.deepEqual(fired, ['after']);
});

test('invalid delays are refused', () => {
  const { heap } = manualHeap();
  assert.throws(() => heap.schedule(-1, () => {}), RangeError);
  assert.throws(() => heap.schedule(Number.NaN, () => {}), RangeError);
});

test('real clock: one Node timer fires timers in order, re-arming for earlier deadlines', async () => {
  const heap = new TimerHeap();
  const fired: string[] = [];
  const done = new Promise<void>((resolve) => {
    heap.schedule(40, () => {
      fired.push('40');
      resolve();
    });
  });
  heap.schedule(5, () => fired.push('5'));
  heap.schedule(20, () => fired.push('20')).cancel();
  await done;
  assert.deepEqual(fired, ['5', '40']);
  assert.equal(heap.size, 0);
});

test('1,000,000 pending timers hold exactly one Node timer handle', () => {
  const before = countNodeTimeouts();
  const heap = new TimerHeap();
  const noop = (): void => {};
  const handles = [];
  for (let i = 0; i < 1_000_000; i++) handles.push(heap.schedule(60_000 + (i % 32_000), noop));
  assert.equal(heap.size, 1_000_000);
  assert.equal(countNodeTimeouts() - before, 1);
  // an earlier deadline re-arms the same single handle rather than adding one
  heap.schedule(50_000, noop);
  assert.equal(countNodeTimeouts() - before, 1);
  for (let i = 0; i < handles.length; i += 2) handles[i].cancel();
  assert.equal(heap.size, 500_001);
  heap.clear();
  assert.equal(countNodeTimeouts() - before, 0);
});
