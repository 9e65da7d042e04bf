// End to end over real UDP sockets on 127.0.0.1: two transport managers, two transaction layers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createRequest, createResponse, newBranch } from '../../src/sip/builder.js';
import type { SipMessage } from '../../src/sip/message.js';
import { TransportManager } from '../../src/transport/transport-manager.js';
import { TimerHeap } from '../../src/transaction/timer-heap.js';
import { TransactionLayer } from '../../src/transaction/transaction-layer.js';
import type { ServerTransaction } from '../../src/transaction/server-transaction.js';

async function endpoint(): Promise<{ tm: TransportManager; layer: TransactionLayer; port: number; inbound: SipMessage[] }> {
  const tm = new TransportManager();
  const info = await tm.listen('udp:127.0.0.1:0');
  // A short T1 makes retransmissions happen within the test; the heap is this test's own.
  const layer = new TransactionLayer({ transport: tm, timers: new TimerHeap({ unref: true }), t1: 40, t2: 320, t4: 400 });
  const inbound: SipMessage[] = [];
  tm.on('message', (msg, source) => {
    inbound.push(msg);
    layer.receive(msg, source);
  });
  return { tm, layer, port: info.port, inbound };
}

function outgoing(method: string, from: number, to: number): SipMessage {
  return createRequest({
    method,
    uri: `sip:bob@127.0.0.1:${to}`,
    from: '<sip:alice@127.0.0.1>',
    to: '<sip:bob@127.0.0.1>',
    via: `SIP/2.0/UDP 127.0.0.1:${from};branch=${newBranch()};rport`,
  });
}

test('UDP end to end: retransmitted MESSAGE absorbed by the server transaction; INVITE 486 ACKed by the client transaction', async (t) => {
  const a = await endpoint();
  const b = await endpoint();
  t.after(async () => {
    a.layer.close();
    b.layer.close();
    await Promise.all([a.tm.close(), b.tm.close()]);
  });
  const requests: ServerTransaction[] = [];
  b.layer.on('request', (tx, req) => {
    requests.push(tx);
    // Answer late, after the client retransmitted (Timer E = T1 = 40 ms).
    setTimeout(() => tx.respond(createResponse(req, req.method === 'INVITE' ? 486 : 200)), 100);
  });

  const message = a.layer.sendRequest(outgoing('MESSAGE', a.port, b.port), { protocol: 'udp', address: '127.0.0.1', port: b.port });
  const [final] = (await once(message, 'final')) as [SipMessage];
  assert.equal(final.status, 200);
  assert.ok(b.inbound.filter((m) => m.method === 'MESSAGE').length >= 2, 'the MESSAGE was retransmitted');
  assert.equal(requests.length, 1, 'and the TU saw it once');

  const invite = a.layer.sendRequest(outgoing('INVITE', a.port, b.port), { protocol: 'udp', address: '127.0.0.1', port: b.port });
  const [busy] = (await once(invite, 'final')) as [SipMessage];
  assert.equal(busy.status, 486);
  const serverInvite = requests[1];
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(serverInvite.state, 'confirmed', 'the ACK sent by the client transaction confirmed the server transaction');
  assert.equal(b.inbound.filter((m) => m.method === 'ACK').length >= 1, true);
  // Timer I (T4 = 400 ms) removes the INVITE; the MESSAGE still waits for Timer J (64*T1 = 2.56 s).
  await once(serverInvite, 'terminated');
  assert.equal(b.layer.counts().server, 1);
});
