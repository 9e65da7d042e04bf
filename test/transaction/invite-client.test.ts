import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, reply, request, settle, source, target } from './helpers.js';
import { track } from './track.js';

const routeHeaders = ['Route: <sip:p1.example.com;lr>', 'Route: <sip:p2.example.com;lr>'];

test('INVITE client over UDP: Timer A doubles without limit, Timer B times out at 64*T1', () => {
  const { clock, transport, layer } = harness();
  const tx = layer.sendRequest(request('INVITE'), target('udp'));
  const log = track(tx);
  assert.equal(tx.state, 'calling');
  clock.to(31_999);
  assert.deepEqual(log, []);
  clock.to(32_000);
  // RFC 3261 17.1.1.2: A = T1, 2*T1, 4*T1, ... (no T2 cap for INVITE); B = 64*T1.
  assert.deepEqual(transport.requestTimes('INVITE'), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  assert.deepEqual(log, ['timeout', 'terminated']);
  assert.deepEqual(layer.counts(), { server: 0, client: 0 });
  assert.equal(clock.heap.size, 0);
});

test('INVITE client: a 1xx stops retransmissions and Timer B (Proceeding has no timeout)', () => {
  const { clock, transport, layer } = harness();
  const req = request('INVITE');
  const tx = layer.sendRequest(req, target('udp'));
  const log = track(tx);
  clock.to(700);
  layer.receive(reply(req, 180), source());
  layer.receive(reply(req, 183), source());
  clock.to(120_000);
  assert.deepEqual(transport.requestTimes('INVITE'), [0, 500]);
  assert.equal(tx.state, 'proceeding');
  assert.deepEqual(log, ['provisional 180', 'provisional 183']);
});

test('INVITE client: 3xx-6xx -> Completed, the transaction sends the ACK (17.1.1.3), re-ACKs retransmissions, Timer D = 32 s', () => {
  const { clock, transport, layer } = harness();
  const req = request('INVITE', { branch: 'z9hG4bK-inv-486', cseq: 7, extraHeaders: routeHeaders });
  const tx = layer.sendRequest(req, target('udp'));
  const log = track(tx);
  clock.to(100);
  layer.receive(reply(req, 486, 'busy-tag'), source());
  assert.equal(tx.state, 'completed');
  const acks = transport.sent.filter((s) => s.message.method === 'ACK');
  assert.equal(acks.length, 1);
  const ack = acks[0].message;
  assert.equal(ack.requestUri, req.requestUri);
  assert.equal(ack.topVia()?.branch, 'z9hG4bK-inv-486', 'the ACK of a non-2xx is part of the INVITE transaction');
  assert.equal(ack.headerValues('via').length, 1);
  assert.equal(ack.to().tag, 'busy-tag');
  assert.equal(ack.from().tag, req.from().tag);
  assert.equal(ack.callId(), req.callId());
  assert.deepEqual(ack.cseq(), { seq: 7, method: 'ACK' });
  assert.deepEqual(ack.headerValues('route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  assert.deepEqual(acks[0].target, target('udp'));

  clock.to(2000);
  layer.receive(reply(req, 486, 'busy-tag'), source());
  assert.deepEqual(transport.requestTimes('ACK'), [100, 2000]);
  assert.deepEqual(transport.requestTimes('INVITE'), [0], 'no INVITE retransmission after the final response');
  clock.to(32_099);
  assert.equal(tx.state, 'completed');
  clock.to(32_100);
  assert.deepEqual(log, ['final 486', 'terminated']);
  assert.equal(layer.counts().client, 0);
});

test('INVITE client over TCP: no Timer A, ACK on the same connection, Timer D = 0', async () => {
  const { clock, transport, layer } = harness();
  const req = request('INVITE', { transport: 'TCP' });
  const tx = layer.sendRequest(req, target('tcp'));
  const log = track(tx);
  await settle(); // the first send resolves with the connection the request left by
  clock.to(10_000);
  assert.deepEqual(transport.requestTimes('INVITE'), [0]);
  layer.receive(reply(req, 603), source('tcp'));
  assert.deepEqual(log, ['final 603', 'terminated']);
  const ack = transport.sent.find((s) => s.message.method === 'ACK');
  assert.equal(ack?.target.connectionId, 'conn-1');
  assert.equal(layer.counts().client, 0);

  const tx2 = layer.sendRequest(request('INVITE', { transport: 'TCP', branch: 'z9hG4bK-2' }), target('tcp'));
  const log2 = track(tx2);
  clock.advance(32_000);
  assert.deepEqual(log2, ['timeout', 'terminated'], 'Timer B runs on reliable transports too');
});

test('INVITE client: 2xx -> Accepted (RFC 6026 7.2): every further 2xx reaches the TU, no ACK from the transaction, Timer M', () => {
  const { clock, transport, layer } = harness();
  const req = request('INVITE');
  const tx = layer.sendRequest(req, target('udp'));
  const log = track(tx);
  clock.to(300);
  layer.receive(reply(req, 200, 'fork-a'), source());
  assert.equal(tx.state, 'accepted');
  clock.to(1000);
  layer.receive(reply(req, 200, 'fork-a'), source());
  layer.receive(reply(req, 200, 'fork-b'), source());
  layer.receive(reply(req, 486, 'fork-c'), source());
  assert.deepEqual(transport.requestTimes('ACK'), [], 'the TU acknowledges 2xx itself');
  assert.deepEqual(transport.requestTimes('INVITE'), [0], 'retransmissions stop in Accepted');
  clock.to(32_299);
  assert.equal(tx.state, 'accepted');
  clock.to(32_300);
  assert.deepEqual(log, ['final 200', 'final 200', 'final 200', 'terminated']);
  assert.equal(layer.counts().client, 0);
});

test('INVITE client: a 2xx after a 1xx also goes to Accepted; a transport error on retransmission is reported once', async () => {
  const { clock, transport, layer } = harness();
  const req = request('INVITE');
  const tx = layer.sendRequest(req, target('udp'));
  const log = track(tx);
  layer.receive(reply(req, 180), source());
  layer.receive(reply(req, 200), source());
  assert.equal(tx.state, 'accepted');

  const req2 = request('INVITE', { branch: 'z9hG4bK-fails-later' });
  const tx2 = layer.sendRequest(req2, target('udp'));
  const log2 = track(tx2);
  transport.failWith = new Error('network unreachable');
  clock.advance(500);
  await settle();
  assert.deepEqual(log2, ['transport-error network unreachable', 'terminated']);
  assert.deepEqual(log, ['provisional 180', 'final 200']);
});
