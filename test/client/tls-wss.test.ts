// TLS (RFC 3261 26.2, RFC 5922) and secure WebSocket (RFC 7118) flows against simplesip's server with
// a throw-away certificate: the client verifies the server (the test CA given as `tls.ca`), refuses
// an unknown certificate by default, registers a Contact with the transport, and removes it on close.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SipClientError } from '../../src/index.js';
import { makeTestCertificate, type TestCertificate } from '../helpers/tls-cert.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { startClient } from './cli-run.js';
import { newUa } from './helpers.js';

const AOR = 'sip:alice@example.com';

describe('tls and wss flows against simplesip server', () => {
  let cert: TestCertificate;
  let srv: RunningServer;
  before(async () => {
    cert = makeTestCertificate();
    srv = await startServer({
      listen: ['tls:127.0.0.1:0', 'wss:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0,
      tlsCert: cert.certFile, tlsKey: cert.keyFile,
    });
    await srv.server.users.add('alice', 'example.com', 'secret');
  });
  after(async () => {
    await srv.stop();
    cert.remove();
  });

  for (const protocol of ['tls', 'wss'] as const) {
    test(`register over ${protocol}, the server verified with the test CA; keepalives; close removes the binding`, async (t) => {
      const ua = newUa(`sip:127.0.0.1:${srv.port(protocol)};transport=${protocol}`, { tls: { ca: cert.cert }, keepaliveIntervalMs: 50 });
      t.after(() => ua.close());
      await ua.register();
      assert.match(ua.contact as string, new RegExp(`^sip:alice@127\\.0\\.0\\.1:\\d+;transport=${protocol}$`));
      const [binding] = srv.server.location.lookup(AOR);
      assert.equal(binding.contact, ua.contact);
      assert.equal(binding.received.protocol, protocol);
      assert.ok(binding.connectionId, 'the binding is tied to our connection');
      // The flow stays up through several keepalive intervals: no re-registration, one binding.
      const registered: string[] = [];
      ua.on('registered', (e) => registered.push(e.contact));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(registered, []);
      assert.equal(srv.server.location.lookup(AOR).length, 1);
      await ua.close();
      assert.equal(srv.server.location.lookup(AOR).length, 0);
    });

    test(`${protocol}: an unknown certificate is refused by default (unreachable, nothing registered)`, async (t) => {
      const ua = newUa(`sip:127.0.0.1:${srv.port(protocol)};transport=${protocol}`);
      t.after(() => ua.close());
      await assert.rejects(ua.register(), (e: SipClientError) => e instanceof SipClientError && e.code === 'unreachable' && /certificate/i.test(e.message));
      assert.equal(srv.server.location.lookup(AOR).length, 0);
    });
  }

  test('tls with rejectUnauthorized: false registers without the CA', async (t) => {
    const ua = newUa(`sip:127.0.0.1:${srv.port('tls')};transport=tls`, { tls: { rejectUnauthorized: false } });
    t.after(() => ua.close());
    await ua.register();
    assert.equal(srv.server.location.lookup(AOR).length, 1);
    await ua.close();
    assert.equal(srv.server.location.lookup(AOR).length, 0);
  });

  test('CLI: --tls-ca trusts the test certificate (besides the root store); without it, exit 3', async () => {
    const server = `sip:127.0.0.1:${srv.port('tls')};transport=tls`;
    const args = ['register', '--json', '--user', AOR, '--server', server, '--local-ports', '0'];
    const c = startClient([...args, '--tls-ca', cert.certFile], { SIMPLESIP_PASSWORD: 'secret' });
    const registered = JSON.parse(await c.line(/"event":"registered"/)) as { contact: string };
    assert.match(registered.contact, /;transport=tls$/);
    assert.equal(srv.server.location.lookup(AOR).length, 1);
    c.child.kill('SIGTERM');
    assert.equal(await c.exited, 0, c.stderr());
    assert.equal(srv.server.location.lookup(AOR).length, 0);

    const refused = startClient(args, { SIMPLESIP_PASSWORD: 'secret' });
    assert.equal(await refused.exited, 3, refused.stderr());
    assert.match(refused.stderr(), /certificate/i);
    const missing = startClient([...args, '--tls-ca', `${cert.certFile}.missing`], { SIMPLESIP_PASSWORD: 'secret' });
    assert.equal(await missing.exited, 2);
    assert.match(missing.stderr(), /cannot read the CA file/);
  });
});
