// TCP and TLS end to end: identity, framing, keepalives, framing errors, connection reuse and limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { createResponse } from '../../src/sip/builder.js';
import type { SipParseError } from '../../src/sip/errors.js';
import type { SipMessage } from '../../src/sip/message.js';
import type { CloseReason } from '../../src/transport/connection.js';
import { TransportError } from '../../src/transport/errors.js';
import type { KeepaliveKind, SocketIdentity, TransportWarning } from '../../src/transport/types.js';
import { makeTestCertificate } from '../helpers/tls-cert.js';
import { manager, nextEvent, optionsRequest, RawStreamClient, record, sleep } from './wire.js';

type Msg = [SipMessage, SocketIdentity];
const isResponse = (text: string): boolean => /^SIP\/2\.0 200 OK\r\n[\s\S]*\r\n\r\n$/.test(text);

test('tcp 127.0.0.1: request in with its identity, response back on the same connection', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('tcp:127.0.0.1:0');
  assert.equal(info.description, `tcp 127.0.0.1:${info.port} (IPv4 only)`);
  const client = await RawStreamClient.connect(info.port);
  t.after(() => client.close());
  const got = nextEvent<Msg>(tm, 'message');
  client.write(optionsRequest('sip:127.0.0.1', `TCP 127.0.0.1:${client.localPort}`));
  const [msg, source] = await got;
  assert.equal(source.protocol, 'tcp');
  assert.deepEqual(source.local, { address: '127.0.0.1', port: info.port, family: 4 });
  assert.deepEqual(source.remote, { address: '127.0.0.1', port: client.localPort, family: 4 });
  assert.equal(source.listener, `tcp 127.0.0.1:${info.port}`);
  assert.match(source.connectionId ?? '', /^tcp-[0-9a-f]{8}-\d+$/);
  await tm.sendResponse(createResponse(msg, 200, 'OK'), source);
  await client.waitFor(isResponse);
});

test('tcp:* dual-stack: an IPv4 client has plain IPv4 local and remote addresses; tcp [::1] is IPv6 only', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('tcp:*:0');
  assert.equal(info.description, `tcp [::]:${info.port} (IPv4 and IPv6)`);
  const client = await RawStreamClient.connect(info.port, '127.0.0.1');
  t.after(() => client.close());
  const got = nextEvent<Msg>(tm, 'message');
  client.write(optionsRequest('sip:127.0.0.1', `TCP 127.0.0.1:${client.localPort}`));
  const [msg, source] = await got;
  // For TCP the kernel knows the real local address, even on a wildcard socket.
  assert.deepEqual(source.local, { address: '127.0.0.1', port: info.port, family: 4 });
  assert.deepEqual(source.remote, { address: '127.0.0.1', port: client.localPort, family: 4 });
  await tm.sendResponse(createResponse(msg, 200, 'OK'), source);
  await client.waitFor(isResponse);

  const v6 = await tm.listen('tcp:[::1]:0');
  assert.equal(v6.description, `tcp [::1]:${v6.port} (IPv6 only)`);
  const client6 = await RawStreamClient.connect(v6.port, '::1');
  t.after(() => client6.close());
  const got6 = nextEvent<Msg>(tm, 'message');
  client6.write(optionsRequest('sip:[::1]', `TCP [::1]:${client6.localPort}`));
  const [, source6] = await got6;
  assert.deepEqual(source6.remote, { address: '::1', port: client6.localPort, family: 6 });
  assert.equal(source6.listener, `tcp [::1]:${v6.port}`);
});

test('stream framing: two messages in one chunk, one message over several chunks', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('tcp:127.0.0.1:0');
  const client = await RawStreamClient.connect(info.port);
  t.after(() => client.close());
  const messages = record<Msg>(tm, 'message');
  const one = optionsRequest('sip:127.0.0.1', 'TCP 127.0.0.1:5060', { callId: 'one' });
  const two = optionsRequest('sip:127.0.0.1', 'TCP 127.0.0.1:5060', { callId: 'two' }).replace('Content-Length: 0\r\n\r\n', 'Content-Length: 5\r\n\r\nhello');
  client.write(one + two);
  const three = optionsRequest('sip:127.0.0.1', 'TCP 127.0.0.1:5060', { callId: 'three' });
  for (let i = 0; i < three.length; i += 37) {
    await sleep(5);
    client.write(three.slice(i, i + 37));
  }
  const deadline = Date.now() + 2000;
  while (messages.length < 3 && Date.now() < deadline) await sleep(10);
  assert.deepEqual(messages.map(([m]) => m.callId()), ['one', 'two', 'three']);
  assert.equal(messages[1][0].body.toString(), 'hello');
  assert.equal(new Set(messages.map(([, s]) => s.connectionId)).size, 1);
});

test('RFC 5626 keepalives: CRLFCRLF gets one CRLF back, a lone CRLF gets nothing', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('tcp:127.0.0.1:0');
  const client = await RawStreamClient.connect(info.port);
  t.after(() => client.close());
  const ping = nextEvent<[SocketIdentity, KeepaliveKind]>(tm, 'keepalive');
  client.write('\r\n\r\n');
  assert.equal((await ping)[1], 'ping');
  await client.waitFor((text) => text === '\r\n');
  await sleep(50);
  assert.equal(client.received.toString(), '\r\n');
  const pong = nextEvent<[SocketIdentity, KeepaliveKind]>(tm, 'keepalive');
  client.write('\r\n');
  assert.equal((await pong)[1], 'pong');
  await sleep(100);
  assert.equal(client.received.toString(), '\r\n');
});

test('missing Content-Length on a stream: malformed (400, partial with Via), the answer goes out, then the connection closes', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('tcp:127.0.0.1:0');
  const client = await RawStreamClient.connect(info.port);
  t.after(() => client.close());
  // The layer above answers malformed requests as the server does.
  tm.on('malformed', (err, _data, source) => {
    if (err.partial) void tm.sendResponse(createResponse(err.partial, err.status, err.reason), source);
  });
  const bad = nextEvent<[SipParseError, Buffer, SocketIdentity]>(tm, 'malformed');
  const closed = nextEvent<[SocketIdentity, CloseReason]>(tm, 'connection-closed');
  client.write(optionsRequest('sip:127.0.0.1', 'TCP 127.0.0.1:5060').replace('Content-Length: 0\r\n', ''));
  const [err] = await bad;
  assert.equal(err.status, 400);
  assert.match(err.reason, /Content-Length/);
  assert.equal(err.partial?.method, 'OPTIONS');
  await client.closed;
  assert.match(client.received.toString(), /^SIP\/2\.0 400 Bad Request \(missing Content-Length header\)\r\n/);
  assert.equal((await closed)[1], 'framing-error');
});

test('a message over maxMessageSize on a stream: 513 with the partial request, then close', async (t) => {
  const tm = manager({ limits: { maxMessageSize: 2000 } });
  t.after(() => tm.close());
  const info = await tm.listen('tcp:127.0.0.1:0');
  const client = await RawStreamClient.connect(info.port);
  t.after(() => client.close());
  const bad = nextEvent<[SipParseError, Buffer, SocketIdentity]>(tm, 'malformed');
  const body = 'x'.repeat(5000);
  const big = optionsRequest('sip:127.0.0.1', 'TCP 127.0.0.1:5060').replace('Content-Length: 0\r\n\r\n', `Content-Length: ${body.length}\r\n\r\n${body}`);
  // Split so the framer has to keep the first part pending.
  client.write(big.slice(0, 100));
  await sleep(20);
  client.write(big.slice(100));
  const [err] = await bad;
  assert.equal(err.status, 513);
  assert.equal(err.partial?.method, 'OPTIONS');
  await client.closed;
});

test('an idle connection closes after idleTimeoutMs, reported as connection-closed', async (t) => {
  const tm = manager({ idleTimeoutMs: 150 });
  t.after(() => tm.close());
  const info = await tm.listen('tcp:127.0.0.1:0');
  const closed = nextEvent<[SocketIdentity, CloseReason]>(tm, 'connection-closed');
  const client = await RawStreamClient.connect(info.port);
  t.after(() => client.close());
  const started = Date.now();
  const port = client.localPort;
  const [source, reason] = await closed;
  assert.equal(reason, 'idle');
  assert.ok(Date.now() - started >= 100);
  assert.equal(source.remote.port, port);
  await client.closed;
  assert.equal(tm.connectionCount, 0);
});

test('idle means nothing from the peer: our writes to a silent peer do not keep its connection open', async (t) => {
  const tm = manager({ idleTimeoutMs: 300 });
  t.after(() => tm.close());
  const info = await tm.listen('tcp:127.0.0.1:0');
  const client = await RawStreamClient.connect(info.port);
  t.after(() => client.close());
  const got = nextEvent<Msg>(tm, 'message');
  client.write(optionsRequest('sip:127.0.0.1', `TCP 127.0.0.1:${client.localPort}`));
  const [, source] = await got;
  const heardAt = Date.now();
  const closed = nextEvent<[SocketIdentity, CloseReason]>(tm, 'connection-closed', () => true, 3000);
  // A request every 50 ms to a peer that never answers (a dropped link looks like this).
  const writer = setInterval(() => {
    tm.send({ protocol: 'tcp', address: '127.0.0.1', port: client.localPort, connectionId: source.connectionId },
      Buffer.from(optionsRequest('sip:peer@127.0.0.1', 'TCP 127.0.0.1:5060'))).catch(() => {});
  }, 50);
  t.after(() => clearInterval(writer));
  const [, reason] = await closed;
  assert.equal(reason, 'idle');
  const after = Date.now() - heardAt;
  assert.ok(after >= 250 && after < 1000, `closed ${after} ms after the peer last spoke`);
});

test('a message trickled a byte at a time must still arrive within idleTimeoutMs of its first byte', async (t) => {
  const tm = manager({ idleTimeoutMs: 800 });
  t.after(() => tm.close());
  const info = await tm.listen('tcp:127.0.0.1:0');
  const client = await RawStreamClient.connect(info.port);
  t.after(() => client.close());
  const closed = nextEvent<[SocketIdentity, CloseReason]>(tm, 'connection-closed', () => true, 4000);
  // One byte every 100 ms refreshes the idle timer each time; the message never completes.
  const request = Buffer.from(optionsRequest('sip:127.0.0.1', `TCP 127.0.0.1:${client.localPort}`));
  let at = 0;
  const started = Date.now();
  const writer = setInterval(() => { if (at < request.length - 1) client.write(request.subarray(at, ++at)); }, 100);
  t.after(() => clearInterval(writer));
  const [, reason] = await closed;
  assert.equal(reason, 'idle');
  const after = Date.now() - started;
  assert.ok(after >= 700 && after < 2500, `closed ${after} ms after the first byte`);
  // A whole message in good time keeps its connection: the deadline is per message.
  const steady = await RawStreamClient.connect(info.port);
  t.after(() => steady.close());
  const got = nextEvent<Msg>(tm, 'message');
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    steady.write(optionsRequest('sip:127.0.0.1', `TCP 127.0.0.1:${steady.localPort}`));
  }
  await got;
  assert.equal(tm.connectionCount, 1, 'the steady client kept its connection past 800 ms');
});

test('a peer closing its connection is reported as connection-closed with the identity', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('tcp:127.0.0.1:0');
  const client = await RawStreamClient.connect(info.port);
  const got = nextEvent<Msg>(tm, 'message');
  client.write(optionsRequest('sip:127.0.0.1', 'TCP 127.0.0.1:5060'));
  const [, source] = await got;
  const closed = nextEvent<[SocketIdentity, CloseReason]>(tm, 'connection-closed');
  client.socket.end();
  const [gone, reason] = await closed;
  assert.deepEqual(gone, source);
  assert.equal(reason, 'peer');
});

/** A raw TCP server that records connections and what arrives on them. */
async function rawServer(): Promise<{ port: number; sockets: Socket[]; data: () => string; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  let data = '';
  const server = createServer((s) => {
    sockets.push(s);
    s.on('data', (d) => { data += d.toString('latin1'); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    sockets,
    data: () => data,
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

test('send() over TCP opens a connection, reuses it, and what comes back on it is a message with that connection', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  await tm.listen('tcp:127.0.0.1:0');
  const peer = await rawServer();
  t.after(() => peer.close());
  const request = optionsRequest(`sip:127.0.0.1:${peer.port}`, 'TCP 127.0.0.1:5060');
  const first = await tm.send({ protocol: 'tcp', address: '127.0.0.1', port: peer.port }, Buffer.from(request));
  const second = await tm.send({ protocol: 'tcp', address: '127.0.0.1', port: peer.port }, Buffer.from(request));
  assert.equal(first.connectionId, second.connectionId);
  assert.deepEqual(first.remote, { address: '127.0.0.1', port: peer.port, family: 4 });
  while (peer.data().length < 2 * request.length) await sleep(10);
  assert.equal(peer.sockets.length, 1);
  const back = nextEvent<Msg>(tm, 'message');
  peer.sockets[0].write('SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
  const [msg, source] = await back;
  assert.equal(msg.status, 200);
  assert.equal(source.connectionId, first.connectionId);
});

test('RFC 5626 4.4.1: pongs to our CRLFCRLF pings, each in its own read, are pongs and get no answer', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const peer = await rawServer();
  t.after(() => peer.close());
  const kinds = record<[SocketIdentity, KeepaliveKind]>(tm, 'keepalive');
  const target = { protocol: 'tcp', address: '127.0.0.1', port: peer.port } as const;
  for (let round = 1; round <= 3; round++) {
    await tm.send(target, Buffer.from('\r\n\r\n'));
    while (peer.data().length < 4 * round) await sleep(10);
    const pong = nextEvent<[SocketIdentity, KeepaliveKind]>(tm, 'keepalive');
    peer.sockets[0].write('\r\n');
    assert.equal((await pong)[1], 'pong');
  }
  assert.deepEqual(kinds.map(([, kind]) => kind), ['pong', 'pong', 'pong']);
  // A pong is never answered: the peer got our three pings and nothing else.
  await sleep(50);
  assert.equal(peer.data(), '\r\n\r\n'.repeat(3));
});

test('send() to a closed TCP port rejects with connection-refused', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const peer = await rawServer();
  const port = peer.port;
  await peer.close();
  await assert.rejects(tm.send({ protocol: 'tcp', address: '127.0.0.1', port }, Buffer.from('x')),
    (err: unknown) => err instanceof TransportError && err.code === 'connection-refused' && err.message.includes(`127.0.0.1:${port}`));
});

test('a response whose connection is gone opens a new one to received/sent-by (RFC 3261 18.2.2)', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('tcp:127.0.0.1:0');
  const peer = await rawServer();
  t.after(() => peer.close());
  const client = await RawStreamClient.connect(info.port);
  const got = nextEvent<Msg>(tm, 'message');
  client.write(optionsRequest('sip:127.0.0.1', `TCP 127.0.0.1:${peer.port}`));
  const [msg, source] = await got;
  const closed = nextEvent(tm, 'connection-closed');
  client.close();
  await closed;
  await tm.sendResponse(createResponse(msg, 200, 'OK'), source);
  while (!peer.data().startsWith('SIP/2.0 200 OK')) await sleep(10);
});

test('maxConnections: one more is refused with a warning that names the limit', async (t) => {
  const tm = manager({ maxConnections: 1 });
  t.after(() => tm.close());
  const info = await tm.listen('tcp:127.0.0.1:0');
  const first = await RawStreamClient.connect(info.port);
  t.after(() => first.close());
  const warned = nextEvent<[TransportWarning]>(tm, 'warning');
  const second = await RawStreamClient.connect(info.port);
  const [warning] = await warned;
  assert.equal(warning.code, 'connection-limit');
  assert.match(warning.message, /1 connections already open \(maxConnections\)/);
  await second.closed;
  assert.equal(tm.connectionCount, 1);
});

test('maxConnectionsPerAddress: one host cannot take every slot; another host still connects; a closed one frees its place', async (t) => {
  const tm = manager({ maxConnections: 10, maxConnectionsPerAddress: 2 });
  t.after(() => tm.close());
  const info = await tm.listen('tcp:127.0.0.1:0');
  const hog = [await RawStreamClient.connect(info.port), await RawStreamClient.connect(info.port)];
  t.after(() => { for (const c of hog) c.close(); });
  const warned = nextEvent<[TransportWarning]>(tm, 'warning');
  const third = await RawStreamClient.connect(info.port);
  const [warning] = await warned;
  assert.equal(warning.code, 'connection-limit');
  assert.match(warning.message, /from 127\.0\.0\.1 .* 2 connections from that address already open \(maxConnectionsPerAddress\)/);
  await third.closed;
  // Another address (127.0.0.2 is loopback too) is let in.
  const other = await RawStreamClient.connect(info.port, '127.0.0.1', undefined, '127.0.0.2');
  t.after(() => other.close());
  while (tm.connectionCount < 3) await sleep(10);
  // One of the first host's connections goes: its place is free again.
  hog[0].close();
  await hog[0].closed;
  while (tm.connectionCount > 2) await sleep(10);
  const again = await RawStreamClient.connect(info.port);
  t.after(() => again.close());
  while (tm.connectionCount < 3) await sleep(10);
  assert.equal(tm.connectionCount, 3);
});

test('tls and wss without a certificate: a clear error', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  await assert.rejects(tm.listen('tls:[::1]:0'), (err: unknown) => {
    assert.ok(err instanceof TransportError);
    assert.equal(err.code, 'no-certificate');
    assert.equal(err.message, 'tls:[::1]:0 needs a certificate: pass --tls-cert FILE and --tls-key FILE');
    return true;
  });
  await assert.rejects(tm.listen('wss:127.0.0.1:0'), /wss:127\.0\.0\.1:0 needs a certificate/);
  await assert.rejects(tm.listen('tls:127.0.0.1:0', { tls: { certFile: '/nonexistent/cert.pem', keyFile: '/nonexistent/key.pem' } }),
    /cannot read the TLS certificate file "\/nonexistent\/cert\.pem"/);
});

test('tls end to end: a raw TLS client in, response back; manager to manager send() over TLS with verification', async (t) => {
  const cert = makeTestCertificate();
  t.after(() => cert.remove());
  const server = manager({ tls: { certFile: cert.certFile, keyFile: cert.keyFile } });
  t.after(() => server.close());
  const info = await server.listen('tls:[::1]:0');
  assert.equal(info.description, `tls [::1]:${info.port} (IPv6 only)`);

  const client = await RawStreamClient.connect(info.port, '::1', { ca: cert.cert });
  t.after(() => client.close());
  const got = nextEvent<Msg>(server, 'message');
  client.write(optionsRequest('sip:[::1]', `TLS [::1]:${client.localPort}`));
  const [msg, source] = await got;
  assert.equal(source.protocol, 'tls');
  assert.deepEqual(source.remote, { address: '::1', port: client.localPort, family: 6 });
  await server.sendResponse(createResponse(msg, 200, 'OK'), source);
  await client.waitFor(isResponse);

  const ua = manager({ tlsClient: { ca: cert.cert } });
  t.after(() => ua.close());
  const arrived = nextEvent<Msg>(server, 'message', (m) => m.callId() === 'from-ua');
  const sent = await ua.send({ protocol: 'tls', address: '::1', port: info.port, serverName: 'localhost' },
    Buffer.from(optionsRequest('sip:[::1]', 'TLS [::1]:5061', { callId: 'from-ua' })));
  assert.equal(sent.protocol, 'tls');
  assert.equal(sent.listener, 'tls outbound');
  const [req, reqSource] = await arrived;
  const answered = nextEvent<Msg>(ua, 'message');
  await server.sendResponse(createResponse(req, 200, 'OK'), reqSource);
  const [res, resSource] = await answered;
  assert.equal(res.status, 200);
  assert.equal(resSource.connectionId, sent.connectionId);

  // A client that verifies against another CA refuses our self-signed certificate.
  const strict = manager();
  t.after(() => strict.close());
  await assert.rejects(strict.send({ protocol: 'tls', address: '::1', port: info.port }, Buffer.from('x')), TransportError);
});

test('a connect that does not complete within connectTimeoutMs rejects with connect-timeout', async (t) => {
  // A TCP server that never speaks: the TLS handshake cannot finish.
  const silent = await rawServer();
  t.after(() => silent.close());
  const tm = manager({ connectTimeoutMs: 200 });
  t.after(() => tm.close());
  const started = Date.now();
  await assert.rejects(tm.send({ protocol: 'tls', address: '127.0.0.1', port: silent.port }, Buffer.from('x')),
    (err: unknown) => err instanceof TransportError && err.code === 'connect-timeout' && /no connection after 200 ms/.test(err.message));
  assert.ok(Date.now() - started < 2000);
  assert.equal(tm.connectionCount, 0);
});

test('close() does not wait for a peer stuck in the TLS handshake', { timeout: 5000 }, async (t) => {
  const cert = makeTestCertificate();
  t.after(() => cert.remove());
  const tm = manager({ tls: { cert: cert.cert, key: cert.key } });
  const info = await tm.listen('tls:127.0.0.1:0');
  const silent = await RawStreamClient.connect(info.port); // plain TCP: never sends a ClientHello
  t.after(() => silent.close());
  await sleep(50);
  const started = Date.now();
  await tm.close();
  assert.ok(Date.now() - started < 1000);
  await silent.closed;
});
