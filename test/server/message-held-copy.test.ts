// A MESSAGE whose device does not answer is stored and answered 202 at 32*T1 (before the sender's
// Timer F), while the original keeps being retransmitted to the device until our Timer F (64*T1).
// The stored copy waits for that branch to end: a registration in between (the same user's other
// device, or the device itself after its network came back) must not deliver it a second time under
// another Call-ID. A late 2xx drops it; a branch that ends without one releases it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { serverWithPeers } from '../helpers/server-with-peers.js';
import { newCallId, newTag, type SipEndpoint } from '../helpers/sip-endpoint.js';

const T1 = 40; // stored at 32*T1 = 1.28 s, the branch ends at 64*T1 = 2.56 s

describe('the stored copy of a MESSAGE still being retransmitted', () => {
  const net = serverWithPeers({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], auth: false, probeIntervalSeconds: 0, t1Ms: T1 });
  const open = (): Promise<SipEndpoint> => net.open('udp');

  /** alice's MESSAGE to `user`, answered 202 while `silent` (registered) keeps quiet; resolves with its Call-ID. */
  async function storedWhileRetransmitting(user: string, silent: SipEndpoint): Promise<string> {
    const alice = await open();
    const callId = newCallId();
    const { response } = await alice.request({
      method: 'MESSAGE', uri: `sip:${user}@example.com`, from: 'sip:alice@example.com', to: `sip:${user}@example.com`,
      fromTag: newTag(), callId, cseq: 1, contentType: 'text/plain', body: 'only once, please',
    });
    assert.equal(response.status, 202);
    const original = await silent.nextRequest('MESSAGE');
    return original.callId();
  }

  test('another device registering meanwhile gets nothing; the device\'s late 200 drops the copy', async () => {
    const user = `b${newTag()}`;
    const first = await open();
    assert.equal((await first.register(user)).status, 200);
    const originalCallId = await storedWhileRetransmitting(user, first);
    assert.equal(net.srv.server.offlineMessages.list(`sip:${user}@example.com`).length, 1, 'stored (202)');

    const second = await open();
    assert.equal((await second.register(user)).status, 200);
    assert.equal(await second.gets((m) => m.method === 'MESSAGE', 300), false, 'not delivered while the original is in flight');
    // The first device answers a retransmission of the original: it got the message.
    const retransmission = await first.next((m) => m.method === 'MESSAGE', 2000);
    assert.equal(retransmission.callId(), originalCallId);
    first.respond(retransmission, 200);
    await new Promise((resolve) => setTimeout(resolve, 64 * T1));
    assert.equal(net.srv.server.offlineMessages.list(`sip:${user}@example.com`).length, 0, 'the copy is dropped');
    assert.equal(await second.gets((m) => m.method === 'MESSAGE', 300), false);
    assert.equal(await first.gets((m) => m.method === 'MESSAGE' && m.callId() !== originalCallId, 0), false, 'no second copy');
  });

  test('when the branch ends without an answer the copy is delivered, once, to the devices there now', async () => {
    const user = `c${newTag()}`;
    const first = await open();
    assert.equal((await first.register(user)).status, 200);
    const originalCallId = await storedWhileRetransmitting(user, first);
    first.close(); // gone for good, and unregistered by the operator
    await net.srv.server.location.remove(`sip:${user}@example.com`);

    const second = await open();
    assert.equal((await second.register(user)).status, 200);
    const delivered = await second.nextRequest('MESSAGE', 64 * T1 + 2000);
    assert.notEqual(delivered.callId(), originalCallId);
    assert.equal(delivered.body.toString(), 'only once, please');
    assert.ok(delivered.header('date'), 'with the original time');
    second.respond(delivered, 200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(net.srv.server.offlineMessages.list(`sip:${user}@example.com`).length, 0);
  });
});
