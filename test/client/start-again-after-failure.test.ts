// A user agent whose first start failed (the server's name did not resolve yet, no connection)
// starts again on the next call instead of failing with the old error for ever.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SipClientError } from '../../src/index.js';
import type { DnsLookup } from '../../src/client/resolver.js';
import { newUa } from './helpers.js';
import { ScriptedPeer } from './scripted-peer.js';

let peer: ScriptedPeer;
before(async () => {
  peer = await ScriptedPeer.start();
});
after(() => peer.stop());

/** DNS that knows registrar.test (as 127.0.0.1) only once `known` is set. */
function dnsKnowing(state: { known: boolean }): DnsLookup {
  const notFound = (): Promise<never> => Promise.reject(Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' }));
  return {
    resolveNaptr: notFound,
    resolveSrv: notFound,
    resolve4: (name) => (state.known && name === 'registrar.test' ? Promise.resolve(['127.0.0.1']) : notFound()),
    resolve6: notFound,
    lookup: notFound,
  };
}

test('register() and sendMessage() after a failed start try again and succeed', async () => {
  const dns = { known: false };
  const ua = newUa(`sip:registrar.test:${peer.ports.get('udp') as number}`, { dns: dnsKnowing(dns) });
  try {
    await assert.rejects(ua.register(), (err: unknown) => err instanceof SipClientError && err.code === 'resolution-failed');
    await assert.rejects(ua.sendMessage('bob', 'hi'), (err: unknown) => err instanceof SipClientError && err.code === 'resolution-failed');
    dns.known = true;
    await ua.register();
    assert.equal(peer.of('REGISTER').length, 1);
    assert.equal((await ua.sendMessage('bob', 'hi')).status, 200);
  } finally {
    await ua.close();
  }
});
