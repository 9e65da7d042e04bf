// The outbound proxy (RFC 3261 8.1.2): every request goes to the proxy's address, whatever the
// Request-URI, with the proxy as a pre-loaded loose-routing Route (16.12); in-dialog requests follow
// the dialog's route set (12.2.1.1) on the same flow. The server URI is never resolved.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newUa } from './helpers.js';
import { ScriptedPeer } from './scripted-peer.js';

describe('outbound proxy', () => {
  let proxy: ScriptedPeer;
  before(async () => {
    proxy = await ScriptedPeer.start('127.0.0.1', ['udp', 'tcp']);
    proxy.script = (r) => (r.method === 'PUBLISH' ? { status: 200, headers: [['SIP-ETag', 'e1'], ['Expires', '600']] }
      : r.method === 'SUBSCRIBE' ? { status: 200, headers: [['Expires', '600'], ['Contact', '<sip:bob@127.0.0.1>'], ['Record-Route', `<sip:127.0.0.1:${proxy.ports.get('udp') as number};lr>`]] }
        : { status: 200 });
  });
  after(() => proxy.stop());

  test('REGISTER, MESSAGE, PUBLISH and SUBSCRIBE go to the proxy with Route <proxy;lr>; the server name is never resolved', async (t) => {
    const udpPort = proxy.ports.get('udp') as number;
    const resolved: string[] = [];
    const dns = {
      resolveNaptr: async (n: string) => { resolved.push(n); return []; },
      resolveSrv: async (n: string) => { resolved.push(n); return []; },
      resolve4: async (n: string) => { resolved.push(n); return []; },
      resolve6: async (n: string) => { resolved.push(n); return []; },
    };
    const ua = newUa('sip:registrar.example.test', { outboundProxy: `sip:127.0.0.1:${udpPort}`, dns });
    t.after(() => ua.close());
    await ua.register();
    await ua.sendMessage('bob', 'via the proxy');
    await ua.setPresence({ basic: 'open' });
    await ua.subscribe('bob');
    // close() at once, as a user may: it comes before the SUBSCRIBE is answered, and still ends it.
    await ua.close();
    const route = `<sip:127.0.0.1:${udpPort};lr>`;
    for (const method of ['REGISTER', 'MESSAGE', 'PUBLISH', 'SUBSCRIBE']) {
      const r = proxy.of(method)[0];
      assert.ok(r, method);
      assert.deepEqual(r.headerValues('route'), [route], method);
      const source = proxy.sources[proxy.requests.indexOf(r)];
      assert.equal(source.protocol, 'udp');
      assert.equal(source.local.port, udpPort, `${method} reached the proxy's socket`);
    }
    assert.equal(proxy.of('REGISTER')[0].requestUri, 'sip:example.com', 'RFC 3261 10.2: the domain of the AOR');
    assert.equal(proxy.of('MESSAGE')[0].requestUri, 'sip:bob@example.com');
    assert.equal(proxy.of('SUBSCRIBE')[0].requestUri, 'sip:bob@example.com');
    assert.deepEqual(resolved, []);
    // In the dialog: the Record-Route of the 200 is the route set; the request goes to the remote target through it.
    const unsubscribe = proxy.of('SUBSCRIBE').at(-1);
    assert.notEqual(unsubscribe, proxy.of('SUBSCRIBE')[0], 'an un-SUBSCRIBE was sent');
    assert.equal(unsubscribe?.header('expires'), '0');
    assert.equal(unsubscribe?.requestUri, 'sip:bob@127.0.0.1');
    assert.deepEqual(unsubscribe?.headerValues('route'), [route]);
    assert.equal(proxy.sources[proxy.requests.indexOf(unsubscribe as never)].local.port, udpPort);
  });

  test('a proxy URI with transport=tcp and lr: one flow over tcp, the Route as given (no second lr)', async (t) => {
    proxy.requests.length = 0;
    proxy.sources.length = 0;
    const tcpPort = proxy.ports.get('tcp') as number;
    const ua = newUa('sip:example.com', { outboundProxy: `sip:127.0.0.1:${tcpPort};transport=tcp;lr` });
    t.after(() => ua.close());
    await ua.register();
    await ua.sendMessage('sip:carol@example.org', 'over tcp');
    assert.match(ua.contact as string, /;transport=tcp$/);
    const [reg, msg] = [proxy.of('REGISTER')[0], proxy.of('MESSAGE')[0]];
    for (const r of [reg, msg]) {
      assert.deepEqual(r.headerValues('route'), [`<sip:127.0.0.1:${tcpPort};transport=tcp;lr>`]);
      const source = proxy.sources[proxy.requests.indexOf(r)];
      assert.equal(source.protocol, 'tcp');
      assert.equal(source.local.port, tcpPort);
    }
    const ids = new Set([reg, msg].map((r) => proxy.sources[proxy.requests.indexOf(r)].connectionId));
    assert.equal(ids.size, 1, 'one connection');
    assert.equal(msg.requestUri, 'sip:carol@example.org');
  });
});
