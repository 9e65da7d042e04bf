import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, reply, request, settle, source } from './helpers.js';
import type { ServerTransaction } from '../../src/transaction/server-transaction.js';
import type { SipMessage } from '../../src/sip/message.js';

function newInvite(h: ReturnType<typeof harness>, protocol: 'udp' | 'tcp' = 'udp'): { tx: ServerTransaction; invite: SipMessage } {
  let tx: ServerTransaction | undefined;
  h.layer.once('request', (t) => {
    tx = t;
  });
  const invite = request('INVITE', { transport: protocol.toUpperCase() });
  h.layer.receive(invite, source(protocol));
  assert.ok(tx);
  return { tx, invite };
}

function ackFor(invite: SipMessage, toTag = 'to-1'): SipMessage {
  return request('ACK', { toTag, cseq: invite.cseq().seq });
}

test('INVITE server: 100 Trying after 200 ms when the TU is silent, none when it answers in time', () => {
  const h = harness();
  newInvite(h);
  h.clock.to(199);
  assert.deepEqual(h.transport.responseTimes(), []);
  h.clock.to(200);
  assert.deepEqual(h.transport.responseTimes(100), [200]);
  assert.equal(h.transport.responses[0].response.to().tag, undefined);

  const h2 = harness();
  const { tx, invite } = newInvite(h2);
  h2.clock.to(50);
  tx.respond(reply(invite, 180));
  h2.clock.to(1000);
  assert.deepEqual(h2.transport.responseTimes(), [50]);
});

test('INVITE server: retransmitted INVITEs are absorbed and the last provisional resent', () => {
  const h = harness();
  const requests: SipMessage[] = [];
  h.layer.on('request', (_tx, r) => requests.push(r));
  const { tx, invite } = newInvite(h);
  tx.respond(reply(invite, 180));
  h.clock.to(500);
  h.layer.receive(request('INVITE'), source());
  assert.deepEqual(h.transport.responses.map((r) => `${r.at} ${r.response.status}`), ['0 180', '500 180']);
  assert.equal(requests.length, 1, 'the TU saw the INVITE once');
  assert.equal(tx.state, 'proceeding');
});

test('INVITE server over UDP: 3xx-6xx -> Completed, Timer G doubles to T2, Timer H ends with a timeout', () => {
  const h = harness();
  const { tx, invite } = newInvite(h);
  const events: string[] = [];
  tx.on('timeout', () => events.push('timeout'));
  tx.on('terminated', () => events.push('terminated'));
  tx.respond(reply(invite, 486));
  assert.equal(tx.state, 'completed');
  h.clock.to(1000);
  h.layer.receive(request('INVITE'), source()); // a retransmitted INVITE gets the final response again
  h.clock.to(32_000);
  // G: 500, 1000, 2000, 4000, 4000, ... (RFC 3261 17.2.1); plus the answer to the retransmission at 1000.
  assert.deepEqual(h.transport.responseTimes(486), [0, 500, 1000, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  assert.deepEqual(events, ['timeout', 'terminated']);
  assert.deepEqual(h.layer.counts(), { server: 0, client: 0 });
  assert.equal(h.clock.heap.size, 0);
});

test('INVITE server: the ACK of a non-2xx is absorbed -> Confirmed, Timer I = T4 over UDP', () => {
  const h = harness();
  const acks: SipMessage[] = [];
  h.layer.on('ack', (a) => acks.push(a));
  const { tx, invite } = newInvite(h);
  tx.respond(reply(invite, 404));
  h.clock.to(700);
  h.layer.receive(ackFor(invite), source());
  assert.equal(tx.state, 'confirmed');
  h.layer.receive(ackFor(invite), source());
  h.layer.receive(request('INVITE'), source());
  h.clock.to(5699);
  assert.equal(tx.state, 'confirmed');
  assert.deepEqual(h.transport.responseTimes(404), [0, 500], 'no retransmission once confirmed');
  h.clock.to(5700);
  assert.equal(tx.state, 'terminated');
  assert.equal(acks.length, 0, 'the TU never sees the ACK of a non-2xx');
  assert.equal(h.layer.counts().server, 0);
});

test('INVITE server over TCP: no Timer G, Timer H still runs, Timer I = 0', () => {
  const h = harness();
  const { tx, invite } = newInvite(h, 'tcp');
  tx.respond(reply(invite, 480));
  h.clock.to(10_000);
  assert.deepEqual(h.transport.responseTimes(480), [0]);
  h.layer.receive(request('ACK', { transport: 'TCP', toTag: 'to-1' }), source('tcp'));
  assert.equal(tx.state, 'terminated');
  assert.equal(h.layer.counts().server, 0);

  const h2 = harness();
  const second = newInvite(h2, 'tcp');
  let timedOut = false;
  second.tx.on('timeout', () => {
    timedOut = true;
  });
  second.tx.respond(reply(second.invite, 480));
  h2.clock.to(32_000);
  assert.equal(timedOut, true);
});

test('INVITE server: 2xx -> Accepted (RFC 6026): INVITE retransmissions absorbed silently, ACKs and TU 2xx pass, Timer L', () => {
  const h = harness();
  const requests: SipMessage[] = [];
  const acks: Array<[SipMessage, ServerTransaction | undefined]> = [];
  h.layer.on('request', (_tx, r) => requests.push(r));
  h.layer.on('ack', (a, _s, inviteTx) => acks.push([a, inviteTx]));
  const { tx, invite } = newInvite(h);
  assert.equal(tx.respond(reply(invite, 200)), true);
  assert.equal(tx.state, 'accepted');
  h.clock.to(500);
  h.layer.receive(request('INVITE'), source());
  assert.deepEqual(h.transport.responseTimes(200), [0], 'the transaction does not resend the 2xx itself');
  assert.equal(requests.length, 1, 'nor passes the retransmitted INVITE up');
  assert.equal(tx.respond(reply(invite, 200)), true, 'the TU retransmits its 2xx through the transaction');
  assert.equal(tx.respond(reply(invite, 486)), false, 'a non-2xx after a 2xx is discarded');
  assert.deepEqual(h.transport.responseTimes(), [0, 500]);
  // An ACK on the INVITE's branch (stateless proxies, RFC 2543 peers) reaches the TU with the transaction.
  h.layer.receive(ackFor(invite), source());
  assert.equal(acks.length, 1);
  assert.equal(acks[0][1], tx);
  h.clock.to(31_999);
  assert.equal(tx.state, 'accepted');
  h.clock.to(32_000);
  assert.equal(tx.state, 'terminated');
  assert.equal(h.layer.counts().server, 0);
});

test('INVITE server: a failed send terminates the transaction and reports the error', async () => {
  const h = harness();
  const layerErrors: Error[] = [];
  h.layer.on('transport-error', (e) => layerErrors.push(e));
  const { tx, invite } = newInvite(h);
  const events: string[] = [];
  tx.on('transport-error', (e) => events.push(`transport-error ${e.message}`));
  tx.on('terminated', () => events.push('terminated'));
  h.transport.failWith = new Error('no route');
  tx.respond(reply(invite, 486));
  await settle();
  assert.deepEqual(events, ['transport-error no route', 'terminated']);
  assert.equal(layerErrors.length, 1);
  assert.equal(h.layer.counts().server, 0);
  assert.equal(h.clock.heap.size, 0);
});
