// RFC 3261 22.3: the proxy of a realm consumes the Proxy-Authorization values of that realm. The
// callee never receives the caller's digest answer for our realm; a value for another realm (meant
// for a proxy further on) is passed on untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint } from '../helpers/sip-endpoint.js';

test('our realm\'s Proxy-Authorization is consumed, another realm\'s passes on', async (t) => {
  const srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0 });
  await srv.server.users.add('alice', 'example.com', 'alice-pw');
  await srv.server.users.add('bob', 'example.com', 'bob-pw');
  const alice = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
  const bob = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
  t.after(async () => {
    alice.close();
    bob.close();
    await srv.stop();
  });
  assert.equal((await bob.register('bob', 'bob-pw')).status, 200);

  const foreign = 'Proxy-Authorization: Digest username="alice", realm="far.example.net", nonce="n", uri="sip:bob@example.com", response="00"';
  // bob answers as soon as the MESSAGE reaches him, while alice waits for her final response.
  const delivered = bob.nextRequest('MESSAGE').then((m) => {
    bob.respond(m, 200);
    return m;
  });
  const { response } = await alice.request({
    method: 'MESSAGE', uri: 'sip:bob@example.com', from: 'sip:alice@example.com', to: 'sip:bob@example.com',
    fromTag: newTag(), callId: newCallId(), cseq: 1, headers: [foreign], body: 'hi', contentType: 'text/plain',
  }, 'alice-pw');
  const message = await delivered;
  assert.equal(response.status, 200);
  const values = message.rawValues('proxy-authorization');
  assert.equal(values.length, 1, `bob got: ${values.join(' | ')}`);
  assert.match(values[0], /realm="far\.example\.net"/);
});
