// The server answers OPTIONS over every transport and family, and nothing it writes carries an
// IPv4-mapped address or a `udp6` token, even when IPv4 clients talk to its dual-stack sockets.
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { makeTestCertificate, type TestCertificate } from '../helpers/tls-cert.js';
import { optionsRequest, RawUdpPeer } from '../helpers/raw-client.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { RawStreamClient } from '../transport/wire.js';

const OK = /^SIP\/2\.0 200 OK\r\n[\s\S]*\r\n\r\n/;

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

async function optionsOverWebSocket(url: string, host: string, ca?: string): Promise<string> {
  const ws = new WebSocket(url, 'sip', ca ? { ca } : {});
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  const reply = new Promise<string>((resolve) => ws.once('message', (data: Buffer) => resolve(data.toString())));
  // RFC 7118 5.2: the Via transport is WS/WSS and its sent-by may be a made-up .invalid host.
  ws.send(optionsRequest(`sip:${hostPort(host, 0).replace(/:0$/, '')}`, `${url.startsWith('wss') ? 'WSS' : 'WS'} client.invalid`));
  const text = await reply;
  ws.close();
  return text;
}

describe('OPTIONS over every transport, IPv4 and IPv6, to dual-stack sockets', () => {
  let srv: RunningServer;
  let cert: TestCertificate;
  const trace = new PassThrough();
  let traced = '';

  before(async () => {
    cert = makeTestCertificate();
    trace.on('data', (d: Buffer) => { traced += d.toString(); });
    srv = await startServer({
      listen: ['udp:*:0', 'tcp:*:0', 'tls:*:0', 'ws:*:0', 'wss:*:0'],
      tlsCert: cert.certFile,
      tlsKey: cert.keyFile,
      trace: true,
    }, trace);
  });
  after(async () => {
    await srv.stop();
    cert.remove();
  });

  test('start-up descriptions say both families and never udp6', () => {
    for (const l of srv.listeners) {
      assert.match(l.description, /^(udp|tcp|tls|ws|wss) \[::\]:\d+ \(IPv4 and IPv6\)$/);
    }
  });

  for (const host of ['127.0.0.1', '::1']) {
    test(`udp ${host}`, async () => {
      const peer = await RawUdpPeer.open(host);
      try {
        peer.send(optionsRequest(`sip:${hostPort(host, srv.port('udp'))}`, `UDP ${hostPort(host, peer.port)}`), srv.port('udp'));
        const reply = (await peer.receive(2000))?.toString() ?? '';
        assert.match(reply, OK);
        // RFC 3581: rport filled with the source port, received with the source address (no brackets).
        assert.match(reply, new RegExp(`;rport=${peer.port};received=${host.replace(/\./g, '\\.')}\\r\\n`));
      } finally {
        peer.close();
      }
    });

    for (const proto of ['tcp', 'tls'] as const) {
      test(`${proto} ${host}`, async () => {
        const client = await RawStreamClient.connect(srv.port(proto), host, proto === 'tls' ? { ca: cert.cert } : undefined);
        try {
          client.write(optionsRequest(`sip:${hostPort(host, srv.port(proto))}`, `${proto.toUpperCase()} ${hostPort(host, client.localPort)}`));
          const reply = await client.waitFor((t) => OK.test(t));
          assert.match(reply, /\r\nAllow: OPTIONS/);
        } finally {
          client.close();
        }
      });
    }

    for (const proto of ['ws', 'wss'] as const) {
      test(`${proto} ${host}`, async () => {
        const url = `${proto}://${hostPort(host, srv.port(proto))}/`;
        const reply = await optionsOverWebSocket(url, host, proto === 'wss' ? cert.cert : undefined);
        assert.match(reply, OK);
      });
    }
  }

  test('the trace shows IPv4 peers as IPv4: no ::ffff:, no udp6, IPv6 in brackets', () => {
    assert.match(traced, /IN udp 127\.0\.0\.1:\d+ -> /);
    assert.match(traced, /IN tcp 127\.0\.0\.1:\d+ -> /);
    assert.match(traced, /IN udp \[::1\]:\d+ -> /);
    assert.match(traced, /OUT wss \[::\]:\d+ -> \[::1\]:\d+|OUT wss \[::1\]:\d+ -> \[::1\]:\d+/);
    assert.doesNotMatch(traced, /::ffff:/i);
    assert.doesNotMatch(traced, /udp6/i);
  });
});
