import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompletedResponses } from '../../src/transaction/completed-responses.js';
import type { SocketIdentity } from '../../src/transport/types.js';
import { FakeClock } from './helpers.js';

interface Resent { bytes: string; source: SocketIdentity; key: string }

function setup(lingerMs = 32_000, limits?: { generations: number; blocksPerGeneration: number }) {
  const clock = new FakeClock();
  const resent: Resent[] = [];
  const store = new CompletedResponses(clock.heap, lingerMs, (bytes, source, key) => resent.push({ bytes: bytes.toString('latin1'), source, key }), limits);
  return { clock, resent, store };
}

function udpSource(address: string, port: number, listener = 'udp [::]:5060'): SocketIdentity {
  return { protocol: 'udp', local: { address: '::', port: 5060, family: 6 }, remote: { address, port, family: address.includes(':') ? 6 : 4 }, listener };
}

test('completed responses: a retransmission gets the same bytes, sent back to its source and listener', () => {
  const { store, resent } = setup();
  store.add('k1', Buffer.from('SIP/2.0 200 OK\r\nCall-ID: a\r\n\r\n'), udpSource('2001:db8::7', 40000));
  store.add('k2', Buffer.from('SIP/2.0 404 Not Found\r\n\r\n'), udpSource('192.0.2.9', 5062, 'udp 0.0.0.0:5070'));
  assert.equal(store.retransmit('k3'), false, 'an unknown key is a new request');
  assert.equal(store.retransmit('k2'), true);
  assert.equal(store.retransmit('k1'), true);
  assert.deepEqual(resent.map((r) => r.key), ['k2', 'k1']);
  assert.equal(resent[0].bytes, 'SIP/2.0 404 Not Found\r\n\r\n');
  assert.deepEqual(resent[0].source.remote, { address: '192.0.2.9', port: 5062, family: 4 });
  assert.equal(resent[0].source.listener, 'udp 0.0.0.0:5070');
  assert.equal(resent[1].bytes, 'SIP/2.0 200 OK\r\nCall-ID: a\r\n\r\n');
  assert.deepEqual(resent[1].source.remote, { address: '2001:db8::7', port: 40000, family: 6 });
  assert.equal(resent[1].source.protocol, 'udp');
});

test('completed responses: each entry lives exactly Timer J, then memory and timers are released', () => {
  const { store, clock, resent } = setup();
  // 40,000 entries over 20 s: 20 generations alive at once, several blocks each
  for (let i = 0; i < 40_000; i++) {
    if (i % 2000 === 0) clock.to(i / 2);
    store.add(`key-${i}`, Buffer.from(`SIP/2.0 200 OK\r\nCSeq: ${i} MESSAGE\r\n\r\n`), udpSource('127.0.0.1', 5000 + (i % 100)));
  }
  assert.equal(store.size, 40_000);
  clock.to(31_999); // key-0, added at 0, is still there
  assert.equal(store.retransmit('key-0'), true);
  clock.to(32_000);
  assert.equal(store.retransmit('key-0'), false, 'Timer J ran out for the first entry');
  assert.equal(store.retransmit('key-1999'), false, 'added at 0 too');
  assert.equal(store.retransmit('key-2000'), true, 'added at 1000: until 33,000');
  assert.equal(resent.at(-1)?.bytes, 'SIP/2.0 200 OK\r\nCSeq: 2000 MESSAGE\r\n\r\n');
  assert.ok(store.size <= 38_000, 'the generation of time 0 is gone');
  clock.to(19_000 + 32_000);
  assert.equal(store.retransmit('key-39999'), false);
  assert.equal(store.size, 0);
  assert.equal(clock.heap.size, 0, 'no timer left once every generation is gone');
});

test('completed responses: a key added again (a new transaction after Timer J) is found with its new response', () => {
  const { store, clock, resent } = setup(640);
  store.add('k', Buffer.from('first'), udpSource('127.0.0.1', 5000));
  clock.to(700);
  assert.equal(store.retransmit('k'), false);
  store.add('k', Buffer.from('second'), udpSource('127.0.0.1', 5000));
  clock.to(1000);
  assert.equal(store.retransmit('k'), true);
  assert.equal(resent.at(-1)?.bytes, 'second');
  clock.to(700 + 640 + 100);
  assert.equal(store.size, 0);
});

test('completed responses: at the memory bound the oldest generation goes early; delete() ends one entry', () => {
  // 2 generations of one 16 KB block each: a third 10 KB response needs a third generation
  const { store, resent } = setup(32_000, { generations: 2, blocksPerGeneration: 1 });
  const big = (c: string) => Buffer.alloc(10_000, c);
  store.add('a', big('a'), udpSource('127.0.0.1', 5000));
  store.add('b', big('b'), udpSource('127.0.0.1', 5000));
  assert.equal(store.retransmit('a'), true);
  store.add('c', big('c'), udpSource('127.0.0.1', 5000));
  assert.equal(store.retransmit('a'), false, 'evicted with its generation');
  assert.equal(store.retransmit('b'), true);
  assert.equal(store.retransmit('c'), true);
  assert.equal(resent.at(-1)?.bytes, 'c'.repeat(10_000));
  store.delete('b');
  assert.equal(store.retransmit('b'), false);
  assert.equal(store.size, 1);
});
