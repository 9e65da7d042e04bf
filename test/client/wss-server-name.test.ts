// RFC 5922 7 (and RFC 7118 for SIP over WebSocket): a wss flow to a server named by host name
// verifies the certificate against that name, sends it as SNI, and puts it in the HTTP Host header,
// though it connects to the address the name resolved to, as tls flows do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import { TransportManager } from '../../src/transport/transport-manager.js';
import { makeTestCertificate } from '../helpers/tls-cert.js';
import { startServer } from '../helpers/server.js';
import { newUa } from './helpers.js';

test('wss to sip:localhost registers with a certificate that names only DNS:localhost', async (t) => {
  const cert = makeTestCertificate({ subjectAltName: 'DNS:localhost' });
  t.after(() => cert.remove());
  const srv = await startServer({
    listen: ['wss:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, tlsCert: cert.certFile, tlsKey: cert.keyFile,
  });
  t.after(() => srv.stop());
  await srv.server.users.add('alice', 'example.com', 'secret');
  // Only IPv4 is served: whatever localhost resolves to first, the flow that registers is 127.0.0.1.
  const ua = newUa(`sip:localhost:${srv.port('wss')};transport=wss`, { tls: { ca: cert.cert } });
  t.after(() => ua.close());
  await ua.register();
  const [binding] = srv.server.location.lookup('sip:alice@example.com');
  assert.equal(binding.received.protocol, 'wss');
});

test('connectWebSocket with a server name: SNI and Host carry the name, not the address', async (t) => {
  const cert = makeTestCertificate({ subjectAltName: 'DNS:localhost' });
  t.after(() => cert.remove());
  const https = createServer({ cert: cert.cert, key: cert.key });
  const wss = new WebSocketServer({ server: https, handleProtocols: () => 'sip' });
  const seen: Array<{ host?: string; servername: string | false | null | undefined }> = [];
  wss.on('connection', (ws, req) => {
    seen.push({ host: req.headers.host, servername: (req.socket as TLSSocket).servername });
    ws.close();
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { wss.close(); https.close(() => resolve()); https.closeAllConnections(); }));
  const port = (https.address() as { port: number }).port;
  const tm = new TransportManager({ tlsClient: { ca: cert.cert } });
  t.after(() => tm.close());
  await tm.connectWebSocket(`wss://127.0.0.1:${port}/`, 'localhost');
  assert.deepEqual(seen, [{ host: `localhost:${port}`, servername: 'localhost' }]);
});
