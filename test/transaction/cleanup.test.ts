import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, reply, request, source, target } from './helpers.js';
import type { ServerTransaction } from '../../src/transaction/server-transaction.js';

test('memory stays bounded: once their timers ran out the layer holds no transaction and no timer', () => {
  const h = harness();
  const txs: ServerTransaction[] = [];
  h.layer.on('request', (tx) => txs.push(tx));
  const outcomes = [100, 180, 200, 486] as const;
  for (let i = 0; i < 400; i++) {
    const protocol = i % 2 === 0 ? 'udp' : 'tcp';
    const method = i % 4 < 2 ? 'INVITE' : 'MESSAGE';
    const opts = { branch: `z9hG4bK-${i}`, transport: protocol.toUpperCase(), sentBy: `192.0.2.10:${5000 + (i % 7)}` };
    // server side: answered with a 1xx only, a 2xx or a non-2xx (never ACKed)
    const req = request(method, opts);
    h.layer.receive(req, source(protocol, 5000 + (i % 7)));
    const status = outcomes[i % outcomes.length];
    txs[txs.length - 1].respond(reply(req, status));
    if (status < 200) txs[txs.length - 1].respond(reply(req, 200));
    // client side: answered, or never answered
    const outgoing = request(method, { ...opts, branch: `z9hG4bK-c${i}` });
    h.layer.sendRequest(outgoing, target(protocol));
    if (i % 3 === 0) h.layer.receive(reply(outgoing, i % 2 === 0 ? 200 : 404), source(protocol));
  }
  assert.ok(h.layer.counts().server > 0 && h.layer.counts().client > 0);
  h.clock.advance(64 * 500 + 1);
  assert.deepEqual(h.layer.counts(), { server: 0, client: 0 });
  assert.equal(h.clock.heap.size, 0);
});

test('close() stops every transaction without events and empties the tables', () => {
  const h = harness();
  let events = 0;
  h.layer.on('request', (tx) => tx.on('terminated', () => events++));
  h.layer.receive(request('INVITE'), source());
  const client = h.layer.sendRequest(request('MESSAGE', { branch: 'z9hG4bK-close' }), target());
  client.on('terminated', () => events++);
  h.layer.close();
  assert.deepEqual(h.layer.counts(), { server: 0, client: 0 });
  assert.equal(h.clock.heap.size, 0);
  assert.equal(events, 0);
  assert.equal(client.state, 'terminated');
});
