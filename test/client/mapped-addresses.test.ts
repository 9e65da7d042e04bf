// IPv4-mapped IPv6 hosts (`[::ffff:127.0.0.1]`) the user gives the client are the IPv4 addresses they
// carry: the client never writes `::ffff:` into what it sends (README, founding promise).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SipClientError } from '../../src/index.js';
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

// What localAddressFor answers goes into Via and Contact (RFC 3261 18.1.1, 20.42: a sent-by the
// server can reach): a mapped address is written as its IPv4 address; a wildcard or a name is the
// application's mistake, refused as invalid-option before anything is sent.
describe('the address localAddressFor answers', () => {
  let peer: ScriptedPeer;
  before(async () => {
    peer = await ScriptedPeer.start('127.0.0.1', ['udp']);
  });
  after(() => peer.stop());

  test('::ffff:127.0.0.1: Via and Contact name 127.0.0.1, one REGISTER, no Contact removed', async (t) => {
    peer.requests.length = 0;
    const ua = newUa(peer.uri(), { localAddressFor: async () => '::ffff:127.0.0.1' });
    t.after(() => ua.close());
    await ua.register();
    const regs = peer.of('REGISTER');
    assert.equal(regs.length, 1, 'the first REGISTER held: the server saw the Contact it names');
    const port = peer.sources[0].remote.port;
    assert.match(regs[0].header('via') as string, new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${port};`));
    assert.equal(regs[0].header('contact')?.replace(/>.*$/, '>'), `<sip:alice@127.0.0.1:${port}>`);
    assert.equal(ua.contact, `sip:alice@127.0.0.1:${port}`);
    await ua.sendMessage('bob', 'hi');
    for (const r of peer.requests) assert.doesNotMatch(r.toBuffer().toString(), /::ffff:/i);
  });

  test('a wildcard (::, 0.0.0.0, ::ffff:0.0.0.0) or a name: register() rejects with invalid-option, nothing is sent', async (t) => {
    peer.requests.length = 0;
    for (const answer of ['::', '0.0.0.0', '::ffff:0.0.0.0', 'localhost', '']) {
      const ua = newUa(peer.uri(), { localAddressFor: async () => answer });
      t.after(() => ua.close());
      await assert.rejects(ua.register(), (err: unknown) => err instanceof SipClientError && err.code === 'invalid-option'
        && err.message.includes('localAddressFor') && err.message.includes(JSON.stringify(answer)), answer);
    }
    assert.equal(peer.requests.length, 0, 'nothing was sent');
  });

  test('a wildcard answer to the network check: an invalid-option error event, the flow and binding kept', async (t) => {
    peer.requests.length = 0;
    let routed = '127.0.0.1';
    const ua = newUa(peer.uri(), { networkCheckIntervalMs: 20, localAddressFor: async () => routed });
    t.after(() => ua.close());
    await ua.register();
    const contact = ua.contact;
    const error = new Promise<SipClientError>((resolve) => ua.once('error', resolve));
    routed = '::';
    const err = await error;
    assert.equal(err.code, 'invalid-option');
    assert.match(err.message, /localAddressFor answered "::".*wildcard/);
    assert.equal(ua.contact, contact);
    assert.equal(peer.of('REGISTER').length, 1, 'no REGISTER from a wildcard address');
  });
});
