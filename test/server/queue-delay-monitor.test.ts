// The server's view of its UDP queue delay: last sample, worst of the last minute, the warning
// when it falls behind (src/server/queue-delay-monitor.ts), with a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueueDelayMonitor } from '../../src/server/queue-delay-monitor.js';

function monitor(warnMs = 100): { m: QueueDelayMonitor; warnings: object[]; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  const warnings: object[] = [];
  const m = new QueueDelayMonitor({ measure: () => 0, warnMs, log: { warn: (obj) => warnings.push(obj) }, now: () => clock.now });
  return { m, warnings, clock };
}

test('the worst sample of the last minute is kept, then forgotten once a minute has passed', () => {
  const { m, clock } = monitor();
  m.record(2);
  m.record(180);
  m.record(3);
  assert.equal(m.lastMs, 3);
  assert.equal(m.maxLastMinuteMs, 180);
  clock.now += 30_000;
  m.record(40);
  assert.equal(m.maxLastMinuteMs, 180, 'still within the minute');
  clock.now += 35_000;
  assert.equal(m.maxLastMinuteMs, 40, 'the 180 ms sample is over a minute old');
  clock.now += 3_600_000;
  assert.equal(m.maxLastMinuteMs, 0, 'an hour of silence clears everything');
});

test('a sample above the threshold is logged as a warning, at most once per 10 s; 0 never warns', () => {
  const { m, warnings, clock } = monitor(100);
  m.record(99);
  assert.equal(warnings.length, 0);
  m.record(250);
  m.record(400);
  assert.deepEqual(warnings, [{ queueDelayMs: 250, thresholdMs: 100 }]);
  clock.now += 10_000;
  m.record(300);
  assert.equal(warnings.length, 2);
  const quiet = monitor(0);
  quiet.m.record(5000);
  assert.equal(quiet.warnings.length, 0);
});

test('every sample reaches the observers (the /metrics histogram)', () => {
  const { m } = monitor();
  const seen: number[] = [];
  m.onSample((ms) => seen.push(ms));
  m.record(1);
  m.record(7);
  assert.deepEqual(seen, [1, 7]);
});

test('a sample is the larger of the queue delay and how late the sampling timer fired (a thread that stood still)', () => {
  const clock = { now: 0 };
  let queue = 0;
  const m = new QueueDelayMonitor({ measure: () => queue, warnMs: 0, log: { warn: () => undefined }, intervalMs: 100, now: () => clock.now });
  m.tick();
  clock.now += 100;
  queue = 30;
  m.tick();
  assert.equal(m.lastMs, 30, 'on time: the queue delay');
  clock.now += 600;
  queue = 2;
  m.tick();
  assert.equal(m.lastMs, 500, 'fired 500 ms late: what arrived meanwhile waited that long');
  clock.now += 100;
  m.tick();
  assert.equal(m.lastMs, 2);
});
