// Require and Proxy-Require by role (RFC 3261 8.2.2.3, 16.3 step 5): what the server answers itself
// (OPTIONS to the server, PUBLISH and SUBSCRIBE to its presence agent, REGISTER) gets 420 for
// Require tags it does not support; what it forwards to a user's devices gets 420 only for
// Proxy-Require tags, and its Require reaches the callee, who is the one to judge it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint, type RequestSpec } from '../helpers/sip-endpoint.js';

describe('Require as UAS, Proxy-Require as proxy (auth off)', () => {
  let srv: RunningServer;
  let caller: SipEndpoint;
  let rick: SipEndpoint;
  const spec = (method: string, uri: string, headers: string[]): RequestSpec => ({
    method, uri, from: 'sip:alice@example.com', to: uri, fromTag: newTag(), callId: newCallId(), cseq: 1, headers,
  });

  before(async () => {
    srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, auth: false, t1Ms: 40 });
    caller = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    rick = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    assert.equal((await rick.register('rick')).status, 200);
  });
  after(async () => {
    caller.close();
    rick.close();
    await srv.stop();
  });

  test('forwarded to a device: Require passes on untouched; an unsupported Proxy-Require is 420 listing it', async () => {
    caller.sendRequest({ ...spec('MESSAGE', 'sip:rick@example.com', ['Require: 100rel']), body: 'hi', contentType: 'text/plain' });
    const message = await rick.nextRequest('MESSAGE');
    assert.equal(message.header('require'), '100rel');
    rick.respond(message, 200);
    assert.equal((await caller.finalResponse()).status, 200);

    caller.sendRequest({ ...spec('MESSAGE', 'sip:rick@example.com', ['Proxy-Require: sec-agree', 'Require: 100rel']), body: 'hi', contentType: 'text/plain' });
    const refused = await caller.finalResponse();
    assert.equal(refused.status, 420);
    assert.equal(refused.header('unsupported'), 'sec-agree');
    assert.equal(await rick.gets((m) => m.kind === 'request' && m.method === 'MESSAGE', 150), false);
  });

  test('answered by the server itself: an unsupported Require is 420 listing it, and Proxy-Require is no concern of a UAS', async () => {
    for (const [method, uri, extra] of [
      ['OPTIONS', 'sip:example.com', []],
      ['SUBSCRIBE', 'sip:rick@example.com', ['Event: presence', 'Expires: 60', `Contact: ${caller.contact('alice')}`]],
      ['PUBLISH', 'sip:alice@example.com', ['Event: presence', 'Expires: 60']],
    ] as Array<[string, string, string[]]>) {
      caller.sendRequest(spec(method, uri, [...extra, 'Require: foo', 'Proxy-Require: bar']));
      const r = await caller.finalResponse();
      assert.equal(r.status, 420, `${method} ${uri}: ${r.status} ${r.reason}`);
      assert.equal(r.header('unsupported'), 'foo', method);
    }
  });
});
