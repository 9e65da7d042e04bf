// The UDP queue-delay probe: a timestamped datagram sent to a socket tells how long datagrams wait
// there before this thread reads them (src/transport/queue-delay-probe.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { probeTarget, QueueDelayProbe } from '../../src/transport/queue-delay-probe.js';

/** Blocks this thread, as a long synchronous task or a saturated event loop does. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

const until = async (done: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(done(), what);
};

/** A "listener" socket that hands datagrams to the probe while `reading`; the ones it accepted are kept. */
async function listenerWithProbe(): Promise<{ socket: Socket; probe: QueueDelayProbe; accepted: Buffer[]; set reading(v: boolean) }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const probe = await QueueDelayProbe.open(probeTarget('127.0.0.1', socket.address().port));
  const accepted: Buffer[] = [];
  let reading = true;
  socket.on('message', (data, rinfo) => {
    if (reading && probe.accept(data, rinfo.port)) accepted.push(data);
  });
  return { socket, probe, accepted, set reading(v: boolean) { reading = v; } };
}

test('probeTarget: a wildcard socket is probed on the loopback of its family, a bound one on its address', () => {
  assert.deepEqual(probeTarget('0.0.0.0', 5060), { address: '127.0.0.1', port: 5060, family: 4 });
  assert.deepEqual(probeTarget('::', 5060), { address: '::1', port: 5060, family: 6 });
  assert.deepEqual(probeTarget('192.0.2.7', 5070), { address: '192.0.2.7', port: 5070, family: 4 });
  assert.deepEqual(probeTarget('::1', 5070), { address: '::1', port: 5070, family: 6 });
});

test('a thread blocked for 150 ms shows as 150 ms of queue delay, and a free one as almost none', async (t) => {
  const l = await listenerWithProbe();
  t.after(() => { l.probe.close(); l.socket.close(); });
  assert.equal(l.probe.sample(), 0, 'nothing measured yet');
  await until(() => l.accepted.length === 1, 'the first probe arrives');
  await new Promise((r) => setTimeout(r, 20));
  const idle = l.probe.sample();
  assert.ok(idle < 20, `an idle thread reads at once (${idle} ms)`);
  busy(150);
  await until(() => l.accepted.length === 2, 'the second probe arrives after the block');
  const blocked = l.probe.sample();
  assert.ok(blocked >= 140 && blocked < 1000, `the probe waited through the block (${blocked} ms)`);
  await until(() => l.accepted.length === 3, 'the third probe arrives');
  assert.ok(l.probe.sample() < 50, 'the delay falls once the thread reads again');
});

test('a probe that never comes back (dropped from a full queue) counts from when it was sent', async (t) => {
  const l = await listenerWithProbe();
  t.after(() => { l.probe.close(); l.socket.close(); });
  l.probe.sample();
  await until(() => l.accepted.length === 1, 'the first probe arrives');
  l.reading = false;
  l.probe.sample();
  await new Promise((r) => setTimeout(r, 120));
  const age = l.probe.sample();
  assert.ok(age >= 110, `the lost probe is at least as old as the wait (${age} ms)`);
});

test('a path that never delivered a probe says nothing: no delay is made up', async (t) => {
  const l = await listenerWithProbe();
  t.after(() => { l.probe.close(); l.socket.close(); });
  l.reading = false;
  l.probe.sample();
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(l.probe.sample(), 0);
});

test('only our own probes are taken: other bytes from the probe port, or our bytes from another port, are SIP traffic', async (t) => {
  const l = await listenerWithProbe();
  t.after(() => { l.probe.close(); l.socket.close(); });
  l.probe.sample();
  await until(() => l.accepted.length === 1, 'the first probe arrives');
  const real = l.accepted[0];
  assert.equal(l.probe.accept(Buffer.from(real), l.probe.port + 1), false, 'same bytes, another port');
  const forged = Buffer.from(real);
  forged[3] ^= 0xff;
  assert.equal(l.probe.accept(forged, l.probe.port), false, 'another token');
  assert.equal(l.probe.accept(Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n'), l.probe.port), false, 'a SIP message');
});
