import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, reply, request, settle, source } from './helpers.js';
import type { ServerTransaction } from '../../src/transaction/server-transaction.js';
import { NonInviteServerTransaction } from '../../src/transaction/non-invite-server-transaction.js';
import type { SipMessage } from '../../src/sip/message.js';

function newRequest(h: ReturnType<typeof harness>, protocol: 'udp' | 'tcp' = 'udp'): { tx: ServerTransaction; req: SipMessage; seen: SipMessage[] } {
  const seen: SipMessage[] = [];
  let tx: ServerTransaction | undefined;
  h.layer.on('request', (t, r) => {
    tx = t;
    seen.push(r);
  });
  const req = request('MESSAGE', { transport: protocol.toUpperCase() });
  h.layer.receive(req, source(protocol));
  assert.ok(tx);
  return { tx, req, seen };
}

test('non-INVITE server: retransmissions absorbed silently in Trying, last 1xx resent in Proceeding', () => {
  const h = harness();
  const { tx, req, seen } = newRequest(h);
  assert.equal(tx.state, 'trying');
  h.layer.receive(request('MESSAGE'), source());
  assert.equal(h.transport.responses.length, 0);
  tx.respond(reply(req, 100));
  assert.equal(tx.state, 'proceeding');
  h.clock.to(500);
  h.layer.receive(request('MESSAGE'), source());
  assert.deepEqual(h.transport.responses.map((r) => `${r.at} ${r.response.status}`), ['0 100', '500 100']);
  assert.equal(seen.length, 1);
  h.clock.to(60_000);
  assert.equal(h.transport.responses.length, 2, 'a server transaction never retransmits on its own');
});

test('non-INVITE server over UDP: final -> Completed, final resent for retransmissions, later responses discarded, Timer J = 64*T1', () => {
  const h = harness();
  const { tx, req, seen } = newRequest(h);
  const events: string[] = [];
  tx.on('terminated', () => events.push('terminated'));
  assert.equal(tx.respond(reply(req, 200)), true);
  assert.equal(tx.state, 'completed');
  assert.equal(tx.respond(reply(req, 500)), false);
  h.clock.to(4000);
  h.layer.receive(request('MESSAGE'), source());
  assert.deepEqual(h.transport.responses.map((r) => `${r.at} ${r.response.status}`), ['0 200', '4000 200']);
  assert.deepEqual(h.transport.responses[1].response.toBuffer(), h.transport.responses[0].response.toBuffer(), 'the same final response, byte for byte');
  assert.deepEqual(h.transport.responses[1].source, h.transport.responses[0].source, 'back to where the request came from');
  // What lingers 32 s for every request answered: the bytes of the final response, not the messages,
  // and not the transaction object either (the layer holds Completed).
  assert.equal(tx.request, undefined);
  assert.equal(h.layer.counts().server, 1);
  h.clock.to(31_999);
  h.layer.receive(request('MESSAGE'), source());
  assert.equal(h.transport.responses.length, 3, 'still Completed 1 ms before Timer J');
  assert.equal(seen.length, 1);
  h.clock.to(32_000);
  // after Timer J, the same request is new again
  h.layer.receive(request('MESSAGE'), source());
  assert.equal(seen.length, 2);
  assert.equal(h.transport.responses.length, 3);
  assert.deepEqual(events, [], 'the object hands Completed over: no terminated event');
});

test('non-INVITE server over UDP: a resend from Completed that fails ends Completed and is reported', async () => {
  const h = harness();
  const { tx, req, seen } = newRequest(h);
  const layerErrors: Array<[string, unknown]> = [];
  h.layer.on('transport-error', (e, t) => layerErrors.push([e.message, t]));
  tx.respond(reply(req, 200));
  h.transport.failWith = new Error('unreachable');
  h.layer.receive(request('MESSAGE'), source());
  await settle();
  assert.deepEqual(layerErrors, [['unreachable', undefined]]);
  assert.equal(h.layer.counts().server, 0);
  h.transport.failWith = undefined;
  h.layer.receive(request('MESSAGE'), source());
  assert.equal(seen.length, 2, 'RFC 3261 17.2.4: the transaction ended, the request is new');
});

test('non-INVITE server over TCP: Timer J = 0, the transaction ends with the final response', () => {
  const h = harness();
  const { tx, req } = newRequest(h, 'tcp');
  const events: string[] = [];
  tx.on('terminated', () => events.push('terminated'));
  tx.respond(reply(req, 200));
  assert.deepEqual(events, ['terminated']);
  assert.equal(h.layer.counts().server, 0);
});

test('non-INVITE server: a rejected response terminates the transaction and reports the error, even after J = 0', async () => {
  const h = harness();
  const { tx, req } = newRequest(h, 'tcp');
  const events: string[] = [];
  tx.on('transport-error', (e) => events.push(`transport-error ${e.message}`));
  tx.on('terminated', () => events.push('terminated'));
  h.transport.failWith = new Error('connection closed');
  tx.respond(reply(req, 200));
  await settle();
  assert.deepEqual(events, ['terminated', 'transport-error connection closed']);

  const h2 = harness();
  const second = newRequest(h2);
  h2.transport.failWith = new Error('unreachable');
  const events2: string[] = [];
  second.tx.on('transport-error', (e) => events2.push(`transport-error ${e.message}`));
  second.tx.on('terminated', () => events2.push('terminated'));
  second.tx.respond(reply(second.req, 100));
  await settle();
  assert.deepEqual(events2, ['transport-error unreachable', 'terminated']);
  assert.equal(second.tx.respond(reply(second.req, 200)), false);
  assert.equal(h2.layer.counts().server, 0);
});

test('respond() refuses a request', () => {
  const h = harness();
  const { tx, req } = newRequest(h);
  assert.throws(() => tx.respond(req), TypeError);
});

test('non-INVITE server over UDP: respondStateless() sends once and holds nothing in Completed (RFC 3261 26.3.2.4)', () => {
  const h = harness();
  const { tx, req, seen } = newRequest(h);
  const events: string[] = [];
  tx.on('terminated', () => events.push('terminated'));
  assert.ok(tx instanceof NonInviteServerTransaction);
  assert.equal(tx.respondStateless(reply(req, 401)), true);
  assert.deepEqual(events, ['terminated']);
  assert.equal(h.layer.counts().server, 0, 'no Completed entry for a stateless answer');
  h.layer.receive(request('MESSAGE'), source());
  assert.equal(seen.length, 2, 'the same request again is a new request (libpurple resends it with credentials)');
  assert.equal(h.transport.responses.length, 1);
});
