// Relaying over TLS to another domain's server (RFC 3263, RFC 5922): the next hop is found by NAPTR
// and SRV, the connection goes to the address of the SRV target, and the peer's certificate must name
// the SIP domain of the Request-URI (RFC 5922 4.1), never the SRV target name nor the bare address.
// `--tls-ca` makes a private CA or a self-signed peer trusted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestCertificate, type TestCertificate } from '../helpers/tls-cert.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint } from '../helpers/sip-endpoint.js';
import type { DnsLookup } from '../../src/transport/locate.js';

/** DNS for three foreign domains whose NAPTR and SRV lead to the same TLS port on 127.0.0.1. */
function fakeDns(tlsPort: number): DnsLookup {
  const none = (): Promise<never> => Promise.reject(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }));
  return {
    resolveNaptr: (name) => ['far.example', 'sip1.far.example', 'near.example'].includes(name)
      ? Promise.resolve([{ flags: 's', service: 'SIPS+D2T', replacement: `_sips._tcp.${name}`, order: 10, preference: 10 }])
      : none(),
    resolveSrv: (name) => name.startsWith('_sips._tcp.')
      ? Promise.resolve([{ name: 'sip1.far.example', port: tlsPort, priority: 10, weight: 10 }])
      : none(),
    resolve4: (name) => name === 'sip1.far.example' ? Promise.resolve(['127.0.0.1']) : none(),
    resolve6: () => none(),
  };
}

describe('relaying over TLS to a foreign domain (auth off)', () => {
  let far: RunningServer;
  let home: RunningServer;
  let farCert: TestCertificate;
  const peers: SipEndpoint[] = [];
  const open = async (srv: RunningServer): Promise<SipEndpoint> => {
    const p = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    peers.push(p);
    return p;
  };
  const message = (to: string): Parameters<SipEndpoint['request']>[0] => ({
    method: 'MESSAGE', uri: to, from: 'sip:alice@example.com', to, fromTag: newTag(), callId: newCallId(), cseq: 1,
    contentType: 'text/plain', body: 'over TLS',
  });

  before(async () => {
    // The foreign server's certificate names its SIP domain only: not the SRV target, not 127.0.0.1.
    farCert = makeTestCertificate({ subjectAltName: 'DNS:far.example' });
    far = await startServer({
      listen: ['udp:127.0.0.1:0', 'tls:127.0.0.1:0'], tlsCert: farCert.certFile, tlsKey: farCert.keyFile,
      domains: ['far.example', 'sip1.far.example', 'near.example'], probeIntervalSeconds: 0, auth: false, t1Ms: 40,
    });
    home = await startServer({
      listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, auth: false, t1Ms: 40,
      tlsCa: farCert.certFile, dns: fakeDns(far.port('tls')),
    });
  });
  after(async () => {
    for (const p of peers) p.close();
    await home.stop();
    await far.stop();
    farCert.remove();
  });

  test('a MESSAGE for bob@far.example goes over TLS to the SRV target, checked against far.example, and is delivered', async () => {
    const bob = await open(far);
    assert.equal((await bob.register('bob', undefined, { domain: 'far.example' })).status, 200);
    const alice = await open(home);
    const pending = alice.request(message('sip:bob@far.example'));
    const got = await bob.nextRequest('MESSAGE');
    assert.equal(got.body.toString(), 'over TLS');
    assert.match(got.rawValues('via').join(','), /SIP\/2\.0\/TLS /i, 'the hop between the servers is TLS');
    bob.respond(got, 200);
    assert.equal((await pending).response.status, 200);
  });

  for (const domain of ['sip1.far.example', 'near.example']) {
    test(`a certificate that does not name ${domain} is refused: 503, nothing reaches the user`, async () => {
      const carol = await open(far);
      assert.equal((await carol.register('carol', undefined, { domain })).status, 200);
      const alice = await open(home);
      const { response } = await alice.request(message(`sip:carol@${domain}`));
      assert.equal(response.status, 503);
      assert.equal(await carol.gets((m) => m.method === 'MESSAGE', 300), false);
    });
  }
});

describe('relaying over TLS without --tls-ca', () => {
  test('a self-signed peer is not trusted: 503', async () => {
    const cert = makeTestCertificate({ subjectAltName: 'DNS:far.example' });
    const far = await startServer({
      listen: ['udp:127.0.0.1:0', 'tls:127.0.0.1:0'], tlsCert: cert.certFile, tlsKey: cert.keyFile,
      domains: ['far.example'], probeIntervalSeconds: 0, auth: false, t1Ms: 40,
    });
    const home = await startServer({
      listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, auth: false, t1Ms: 40,
      dns: fakeDns(far.port('tls')),
    });
    const bob = await SipEndpoint.open('udp', '127.0.0.1', far.port('udp'));
    const alice = await SipEndpoint.open('udp', '127.0.0.1', home.port('udp'));
    try {
      assert.equal((await bob.register('bob', undefined, { domain: 'far.example' })).status, 200);
      const { response } = await alice.request({
        method: 'MESSAGE', uri: 'sip:bob@far.example', from: 'sip:alice@example.com', to: 'sip:bob@far.example',
        fromTag: newTag(), callId: newCallId(), cseq: 1, contentType: 'text/plain', body: 'x',
      });
      assert.equal(response.status, 503);
      assert.equal(await bob.gets((m) => m.method === 'MESSAGE', 300), false);
    } finally {
      bob.close();
      alice.close();
      await home.stop();
      await far.stop();
      cert.remove();
    }
  });
});
