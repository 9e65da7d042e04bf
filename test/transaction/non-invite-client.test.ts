import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, FakeTransport, harness, reply, request, settle, source, target } from './helpers.js';
import { TransactionLayer } from '../../src/transaction/transaction-layer.js';
import { track } from './track.js';

test('non-INVITE client over UDP: Timer E doubles up to T2, Timer F times out at 64*T1', () => {
  const { clock, transport, layer } = harness();
  const tx = layer.sendRequest(request('MESSAGE'), target('udp'));
  const log = track(tx);
  assert.equal(tx.state, 'trying');
  clock.to(31_999);
  assert.deepEqual(log, []);
  clock.to(32_000);
  // E: 500, 1000, 2000, 4000 (T2), 4000, ... ; F = 64*T1 = 32 s (RFC 3261 17.1.2.2)
  assert.deepEqual(transport.requestTimes('MESSAGE'), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  const sent = transport.sent.map((s) => s.message.toBuffer().toString('latin1'));
  assert.equal(new Set(sent).size, 1, 'every retransmission repeats the bytes of the first send');
  assert.deepEqual(log, ['timeout', 'terminated']);
  assert.deepEqual(layer.counts(), { server: 0, client: 0 });
  assert.equal(clock.heap.size, 0);
});

test('non-INVITE client: a 1xx moves to Proceeding, where Timer E fires every T2', () => {
  const { clock, transport, layer } = harness();
  const req = request('MESSAGE');
  const tx = layer.sendRequest(req, target('udp'));
  const log = track(tx);
  clock.to(1000);
  layer.receive(reply(req, 100), source());
  assert.equal(tx.state, 'proceeding');
  clock.to(14_000);
  // 0, 500 in Trying; E (armed at 500 for 1000) fires at 1500 and is reset to T2 from then on.
  assert.deepEqual(transport.requestTimes('MESSAGE'), [0, 500, 1500, 5500, 9500, 13500]);
  assert.deepEqual(log, ['provisional 100']);
});

test('non-INVITE client: final response -> Completed, retransmitted finals absorbed, Timer K = T4 on UDP', () => {
  const { clock, transport, layer } = harness();
  const req = request('MESSAGE');
  const tx = layer.sendRequest(req, target('udp'));
  // Sent: only its bytes are kept (for Timer E); a proxy has hundreds of requests in flight.
  assert.equal(tx.request, undefined);
  const log = track(tx);
  const strays: number[] = [];
  layer.on('stray-response', (r) => strays.push(r.status));
  clock.to(600);
  layer.receive(reply(req, 200), source());
  assert.equal(tx.state, 'completed');
  // What lingers for Timer K: the key, held by the layer; not the request, not the object's listeners.
  assert.equal(tx.request, undefined);
  assert.equal(tx.listenerCount('final'), 0);
  assert.equal(tx.listenerCount('terminated'), 0);
  assert.deepEqual(layer.counts(), { server: 0, client: 1 });
  layer.receive(reply(req, 200), source());
  clock.to(5599);
  layer.receive(reply(req, 200), source());
  assert.deepEqual(strays, [], 'retransmitted finals are absorbed until Timer K');
  assert.deepEqual(transport.requestTimes('MESSAGE'), [0, 500], 'no retransmission after the final response');
  assert.throws(() => layer.sendRequest(req, target('udp')), /already running/, 'not while its key is in Completed');
  clock.to(5600);
  assert.deepEqual(layer.counts(), { server: 0, client: 0 });
  layer.receive(reply(req, 200), source());
  assert.deepEqual(strays, [200], 'after Timer K the response matches nothing');
  assert.deepEqual(log, ['final 200'], 'the object hands Completed over: no terminated event');
});

test('non-INVITE client over TCP: no retransmissions, K = 0, F still guards the transaction', () => {
  const { clock, transport, layer } = harness();
  const req = request('MESSAGE', { transport: 'TCP' });
  const tx = layer.sendRequest(req, target('tcp'));
  const log = track(tx);
  clock.to(10_000);
  assert.deepEqual(transport.requestTimes('MESSAGE'), [0]);
  layer.receive(reply(req, 202), source('tcp'));
  assert.deepEqual(log, ['final 202', 'terminated']);
  assert.equal(layer.counts().client, 0);

  const req2 = request('OPTIONS', { transport: 'TCP', branch: 'z9hG4bK-test-2' });
  const tx2 = layer.sendRequest(req2, target('tcp'));
  const log2 = track(tx2);
  clock.advance(32_000);
  assert.deepEqual(transport.requestTimes('OPTIONS'), [10_000]);
  assert.deepEqual(log2, ['timeout', 'terminated']);
});

test('non-INVITE client: a rejected send is a transport error (the TU treats it as 503) and ends the transaction', async () => {
  const { clock, transport, layer } = harness();
  transport.failWith = new Error('connection refused');
  const layerErrors: Error[] = [];
  layer.on('transport-error', (e) => layerErrors.push(e));
  const tx = layer.sendRequest(request('MESSAGE'), target('udp'));
  const log = track(tx);
  await settle();
  assert.deepEqual(log, ['transport-error connection refused', 'terminated']);
  assert.equal(layerErrors.length, 1);
  assert.deepEqual(layer.counts(), { server: 0, client: 0 });
  clock.advance(60_000);
  assert.equal(transport.sent.length, 1, 'no retransmission after the transport error');
});

test('client transactions match on branch and CSeq method (RFC 3261 17.1.3)', () => {
  const { layer } = harness();
  const req = request('MESSAGE', { branch: 'z9hG4bK-match' });
  const tx = layer.sendRequest(req, target('udp'));
  const log = track(tx);
  const strays: number[] = [];
  layer.on('stray-response', (r) => strays.push(r.status));
  // same branch, other method: e.g. the response to a CANCEL with the INVITE's branch
  layer.receive(reply(request('OPTIONS', { branch: 'z9hG4bK-match' }), 200), source());
  // same method, other branch
  layer.receive(reply(request('MESSAGE', { branch: 'z9hG4bK-other' }), 200), source());
  assert.deepEqual(strays, [200, 200]);
  assert.deepEqual(log, []);
  layer.receive(reply(req, 200), source());
  assert.deepEqual(log, ['final 200']);
});

test('sendRequest refuses ACK, branch-less requests and a branch already in use', () => {
  const { layer } = harness();
  assert.throws(() => layer.sendRequest(request('ACK'), target()), /ACK/);
  assert.throws(() => layer.sendRequest(request('MESSAGE', { branch: null }), target()), /z9hG4bK/);
  assert.throws(() => layer.sendRequest(request('MESSAGE', { branch: 'z9hG4bK' }), target()), /z9hG4bK/);
  layer.sendRequest(request('MESSAGE'), target());
  assert.throws(() => layer.sendRequest(request('MESSAGE'), target()), /already running/);
});

test('T1, T2 and T4 are configurable: E, F and K follow them', () => {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const layer = new TransactionLayer({ transport, timers: clock.heap, t1: 100, t2: 400, t4: 1000 });
  const tx = layer.sendRequest(request('MESSAGE'), target('udp'));
  const log = track(tx);
  clock.to(6400);
  assert.deepEqual(transport.requestTimes('MESSAGE'), [0, 100, 300, 700, 1100, 1500, 1900, 2300, 2700, 3100, 3500, 3900, 4300, 4700, 5100, 5500, 5900, 6300]);
  assert.deepEqual(log, ['timeout', 'terminated']);

  const req = request('OPTIONS', { branch: 'z9hG4bK-k' });
  layer.sendRequest(req, target('udp'));
  layer.receive(reply(req, 200), source());
  clock.advance(999);
  assert.equal(layer.counts().client, 1, 'Completed until K = T4');
  clock.advance(1);
  assert.equal(layer.counts().client, 0);
  assert.throws(() => new TransactionLayer({ transport, t1: 0 }), RangeError);
});
