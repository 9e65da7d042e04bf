// A server that stops while an INVITE rings leaves no proxy timer behind: Timer C (181 s, RFC 3261
// 16.8) would otherwise keep the process (and whatever runs the server) alive for three minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedTimerHeap } from '../../src/transaction/timer-heap.js';
import { startServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint } from '../helpers/sip-endpoint.js';

test('stop() while an INVITE branch rings: its Timer C is gone with the server', async () => {
  const heap = sharedTimerHeap();
  const srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, auth: false });
  const caller = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
  const callee = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
  try {
    assert.equal((await callee.register('bob')).status, 200);
    caller.sendRequest({
      method: 'INVITE', uri: 'sip:bob@example.com', from: 'sip:alice@example.com', to: 'sip:bob@example.com',
      fromTag: newTag(), callId: newCallId(), cseq: 1, contact: true,
    });
    const inv = await callee.nextRequest('INVITE');
    callee.respond(inv, 180, { toTag: newTag() });
    await caller.nextResponse('INVITE', 180, 180);
    assert.ok(heap.size > 0, 'the call has timers running');
    await srv.stop();
    // This file runs in a process of its own: nothing else schedules on the shared heap.
    assert.equal(heap.size, 0, 'timers left after stop()');
  } finally {
    caller.close();
    callee.close();
  }
});
