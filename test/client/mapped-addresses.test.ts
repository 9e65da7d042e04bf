// IPv4-mapped IPv6 hosts (`[::ffff:127.0.0.1]`) the user gives the client are the IPv4 addresses they
// carry: the client never writes `::ffff:` into what it sends (README, founding promise).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newUa } from './helpers.js';
import { ScriptedPeer } from './scripted-peer.js';

describe('IPv4-mapped hosts in the client options', () => {
  let peer: ScriptedPeer;
  before(async () => {
    peer = await ScriptedPeer.start('127.0.0.1', ['udp']);
  });
  after(() => peer.stop());

  test('AOR sip:alice@[::ffff:127.0.0.1]: REGISTER sip:127.0.0.1, From and To name 127.0.0.1', async (t) => {
    peer.requests.length = 0;
    const port = peer.ports.get('udp') as number;
    const ua = newUa(`sip:127.0.0.1:${port}`, { aor: 'sip:alice@[::ffff:127.0.0.1]' });
    t.after(() => ua.close());
    await ua.register();
    const reg = peer.of('REGISTER')[0];
    // RFC 3261 10.2: the Request-URI is the domain of the AOR, here the IPv4 address it carries.
    assert.equal(reg.requestUri, 'sip:127.0.0.1');
    assert.doesNotMatch(reg.toBuffer().toString(), /::ffff:/i);
  });
});

describe('an IPv4-mapped outbound proxy', () => {
  let proxy: ScriptedPeer;
  before(async () => {
    proxy = await ScriptedPeer.start('127.0.0.1', ['udp']);
  });
  after(() => proxy.stop());

  test('--outbound-proxy sip:[::ffff:127.0.0.1]:PORT: Route <sip:127.0.0.1:PORT;lr> (RFC 3261 8.1.2)', async (t) => {
    const port = proxy.ports.get('udp') as number;
    const ua = newUa('sip:example.com', { outboundProxy: `sip:[::ffff:127.0.0.1]:${port}` });
    t.after(() => ua.close());
    await ua.register();
    const reg = proxy.of('REGISTER')[0];
    assert.deepEqual(reg.headerValues('route'), [`<sip:127.0.0.1:${port};lr>`]);
    assert.doesNotMatch(reg.toBuffer().toString(), /::ffff:/i);
  });
});
