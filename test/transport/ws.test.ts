// SIP over WebSocket (RFC 7118) end to end: subprotocol, one message per WS message, same-connection answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket, type ClientOptions } from 'ws';
import { createResponse } from '../../src/sip/builder.js';
import type { SipParseError } from '../../src/sip/errors.js';
import type { SipMessage } from '../../src/sip/message.js';
import type { CloseReason } from '../../src/transport/connection.js';
import { TransportError } from '../../src/transport/errors.js';
import type { SocketIdentity } from '../../src/transport/types.js';
import { makeTestCertificate } from '../helpers/tls-cert.js';
import { manager, nextEvent, optionsRequest, RawStreamClient, record } from './wire.js';

type Msg = [SipMessage, SocketIdentity];

/** `options.autoPong: false` makes a peer that never answers our pings (a vanished one looks the same). */
function open(url: string, protocols: string[] = ['sip'], ca?: string, options: ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, ca ? { ...options, ca } : options);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function nextMessage(ws: WebSocket): Promise<{ text: string; binary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, binary) => resolve({ text: String(data), binary })));
}

test('ws 127.0.0.1: subprotocol sip, request in as one WS message, response back on the same connection', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('ws:127.0.0.1:0');
  assert.equal(info.description, `ws 127.0.0.1:${info.port} (IPv4 only)`);
  const ws = await open(`ws://127.0.0.1:${info.port}`);
  t.after(() => ws.terminate());
  assert.equal(ws.protocol, 'sip');
  const got = nextEvent<Msg>(tm, 'message');
  ws.send(optionsRequest('sip:127.0.0.1', 'WS df7jal23ls0d.invalid'));
  const [msg, source] = await got;
  assert.equal(source.protocol, 'ws');
  assert.match(source.connectionId ?? '', /^ws-[0-9a-f]{8}-\d+$/);
  assert.equal(source.remote.address, '127.0.0.1');
  assert.deepEqual(source.local, { address: '127.0.0.1', port: info.port, family: 4 });
  // The sent-by is a name: received is added (RFC 3261 18.2.1).
  assert.equal(msg.topVia()?.received, '127.0.0.1');
  const reply = nextMessage(ws);
  await tm.sendResponse(createResponse(msg, 200, 'OK'), source);
  const { text, binary } = await reply;
  assert.match(text, /^SIP\/2\.0 200 OK\r\n/);
  assert.equal(binary, false);
});

test('ws datagram rules: a malformed message is reported and the connection stays open', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('ws:[::1]:0');
  const ws = await open(`ws://[::1]:${info.port}`);
  t.after(() => ws.terminate());
  const bad = nextEvent<[SipParseError, Buffer, SocketIdentity]>(tm, 'malformed');
  ws.send(optionsRequest('sip:[::1]', 'WS x.invalid').replace('Content-Length: 0', 'Content-Length: 50'));
  const [err, , source] = await bad;
  assert.equal(err.status, 400);
  assert.deepEqual(source.remote.address, '::1');
  const got = nextEvent<Msg>(tm, 'message');
  ws.send(optionsRequest('sip:[::1]', 'WS x.invalid'));
  await got;
});

test('a WebSocket handshake that does not offer sip is refused; plain HTTP gets 426', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('ws:127.0.0.1:0');
  await assert.rejects(open(`ws://127.0.0.1:${info.port}`, ['chat']), /HTTP 400/);
  const res = await fetch(`http://127.0.0.1:${info.port}/`);
  assert.equal(res.status, 426);
});

test('wss with a PEM certificate, over dual-stack *: IPv4 client shows as 127.0.0.1', async (t) => {
  const cert = makeTestCertificate();
  t.after(() => cert.remove());
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('wss:*:0', { tls: { cert: cert.cert, key: cert.key } });
  assert.equal(info.description, `wss [::]:${info.port} (IPv4 and IPv6)`);
  const ws = await open(`wss://localhost:${info.port}`, ['sip'], cert.cert);
  t.after(() => ws.terminate());
  const got = nextEvent<Msg>(tm, 'message');
  ws.send(optionsRequest('sip:localhost', 'WSS x.invalid'));
  const [msg, source] = await got;
  assert.equal(source.protocol, 'wss');
  assert.match(source.remote.address, /^(127\.0\.0\.1|::1)$/);
  const reply = nextMessage(ws);
  await tm.sendResponse(createResponse(msg, 200, 'OK'), source);
  assert.match((await reply).text, /^SIP\/2\.0 200 OK/);
});

test('ws: send() reuses the connection by identity; with no connection it is a typed error; close is reported', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('ws:127.0.0.1:0');
  const ws = await open(`ws://127.0.0.1:${info.port}`);
  const got = nextEvent<Msg>(tm, 'message');
  ws.send(optionsRequest('sip:127.0.0.1', 'WS x.invalid'));
  const [, source] = await got;
  const pushed = nextMessage(ws);
  const used = await tm.send({ protocol: 'ws', address: source.remote.address, port: source.remote.port, connectionId: source.connectionId },
    Buffer.from('MESSAGE sip:x@x.invalid SIP/2.0\r\nContent-Length: 0\r\n\r\n'));
  assert.equal(used.connectionId, source.connectionId);
  assert.match((await pushed).text, /^MESSAGE /);
  const closed = nextEvent<[SocketIdentity, CloseReason]>(tm, 'connection-closed');
  ws.close();
  assert.equal((await closed)[0].connectionId, source.connectionId);
  await assert.rejects(tm.send({ protocol: 'ws', address: '127.0.0.1', port: source.remote.port }, Buffer.from('x')),
    (err: unknown) => err instanceof TransportError && err.code === 'no-connection');
});

test('ws idle means nothing from the peer: our writes to a silent peer do not keep its connection open', async (t) => {
  const tm = manager({ idleTimeoutMs: 300 });
  t.after(() => tm.close());
  const info = await tm.listen('ws:127.0.0.1:0');
  // Silent: it does not even answer our WebSocket pings.
  const ws = await open(`ws://127.0.0.1:${info.port}`, ['sip'], undefined, { autoPong: false });
  t.after(() => ws.terminate());
  const got = nextEvent<Msg>(tm, 'message');
  ws.send(optionsRequest('sip:127.0.0.1', 'WS x.invalid'));
  const [, source] = await got;
  const heardAt = Date.now();
  const closed = nextEvent<[SocketIdentity, CloseReason]>(tm, 'connection-closed', () => true, 3000);
  // A request every 50 ms to a peer that never answers (its client library takes them, and says nothing).
  const writer = setInterval(() => {
    tm.send({ protocol: 'ws', address: source.remote.address, port: source.remote.port, connectionId: source.connectionId },
      Buffer.from(optionsRequest('sip:peer@127.0.0.1', 'WS x.invalid'))).catch(() => {});
  }, 50);
  t.after(() => clearInterval(writer));
  const [gone, reason] = await closed;
  assert.equal(gone.connectionId, source.connectionId);
  assert.equal(reason, 'idle');
  const after = Date.now() - heardAt;
  assert.ok(after >= 250 && after < 1000, `closed ${after} ms after the peer last spoke`);
});

test('ws idle: a peer that only sends WebSocket pings keeps its connection open', async (t) => {
  const tm = manager({ idleTimeoutMs: 300 });
  t.after(() => tm.close());
  const info = await tm.listen('ws:127.0.0.1:0');
  // It does not answer our pings: once its own pings stop, nothing more comes from it.
  const ws = await open(`ws://127.0.0.1:${info.port}`, ['sip'], undefined, { autoPong: false });
  t.after(() => ws.terminate());
  let closedReason: CloseReason | undefined;
  tm.on('connection-closed', (_source: SocketIdentity, reason: CloseReason) => { closedReason = reason; });
  const pinger = setInterval(() => ws.ping(), 100);
  t.after(() => clearInterval(pinger));
  await new Promise((resolve) => setTimeout(resolve, 900));
  assert.equal(closedReason, undefined, 'RFC 7118 keepalive: pings are traffic from the peer');
  assert.equal(ws.readyState, ws.OPEN);
  clearInterval(pinger);
  const closed = nextEvent<[SocketIdentity, CloseReason]>(tm, 'connection-closed', () => true, 3000);
  assert.equal((await closed)[1], 'idle', 'and once the pings stop, the connection goes idle');
});

/** Resolves at the `n`th Ping the client gets from the server; rejects if its connection closes first. */
function pings(ws: WebSocket, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    ws.on('ping', () => { if (++seen === n) resolve(); });
    ws.once('close', (code) => reject(new Error(`closed (${code}) after ${seen} pings`)));
  });
}

test('ws idle: a quiet peer that answers our WebSocket pings stays connected past several idle timeouts (RFC 7118 6)', { timeout: 10_000 }, async (t) => {
  const tm = manager({ idleTimeoutMs: 1000 });
  t.after(() => tm.close());
  const info = await tm.listen('ws:127.0.0.1:0');
  const closed = record<[SocketIdentity, CloseReason]>(tm, 'connection-closed');
  // A browser stack between registrations: it sends nothing, and its WebSocket answers a Ping with a Pong.
  const ws = await open(`ws://127.0.0.1:${info.port}`);
  t.after(() => ws.terminate());
  const startedAt = Date.now();
  await pings(ws, 6);
  const after = Date.now() - startedAt;
  assert.ok(after >= 2500, `six pings, one per half idle timeout of quiet, took ${after} ms`);
  assert.equal(ws.readyState, ws.OPEN);
  assert.deepEqual(closed, []);
  assert.equal(tm.connectionCount, 1);
});

test('ws idle: a quiet peer that does not answer our ping is closed at the idle deadline', { timeout: 10_000 }, async (t) => {
  const tm = manager({ idleTimeoutMs: 1000 });
  t.after(() => tm.close());
  const info = await tm.listen('ws:127.0.0.1:0');
  const ws = await open(`ws://127.0.0.1:${info.port}`, ['sip'], undefined, { autoPong: false });
  t.after(() => ws.terminate());
  const openedAt = Date.now();
  let pingedAfter: number | undefined;
  ws.once('ping', () => { pingedAfter = Date.now() - openedAt; });
  const [, reason] = await nextEvent<[SocketIdentity, CloseReason]>(tm, 'connection-closed', () => true, 5000);
  const closedAfter = Date.now() - openedAt;
  assert.equal(reason, 'idle');
  assert.ok(pingedAfter !== undefined && pingedAfter >= 400 && pingedAfter < 1000,
    `a Ping half-way to the deadline (after ${pingedAfter} ms)`);
  assert.ok(closedAfter >= 900 && closedAfter < 2500, `closed ${closedAfter} ms after its last traffic (the upgrade)`);
});

/** The code and reason of the Close frame a client gets. */
function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
}

test('ws close frames (RFC 6455 7.4.1): 1000 for an idle connection, 1001 when the server goes down, not 1006', { timeout: 10_000 }, async (t) => {
  const tm = manager({ idleTimeoutMs: 300 });
  t.after(() => tm.close());
  const info = await tm.listen('ws:127.0.0.1:0');
  const url = `ws://127.0.0.1:${info.port}`;
  const mute = await open(url, ['sip'], undefined, { autoPong: false });
  t.after(() => mute.terminate());
  assert.deepEqual(await closeOf(mute), { code: 1000, reason: 'idle timeout' });

  const down = manager();
  t.after(() => down.close());
  const info2 = await down.listen('ws:127.0.0.1:0');
  const ws = await open(`ws://127.0.0.1:${info2.port}`);
  t.after(() => ws.terminate());
  const closed = closeOf(ws);
  await down.close();
  assert.deepEqual(await closed, { code: 1001, reason: 'shutting down' });
});

test('ws shutdown: a peer that never answers our Close frame gets it, and is cut after a short grace', { timeout: 10_000 }, async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('ws:127.0.0.1:0');
  // A WebSocket client that upgrades and then reads nothing more it is sent (a hung tab, a dead link).
  const raw = await RawStreamClient.connect(info.port);
  t.after(() => raw.close());
  raw.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${info.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
    + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n');
  await raw.waitFor((text) => text.includes('\r\n\r\n'));
  assert.match(raw.received.toString('latin1'), /^HTTP\/1\.1 101 /);
  assert.equal(tm.connectionCount, 1);
  const started = Date.now();
  await tm.close();
  const took = Date.now() - started;
  await raw.closed;
  const frame = raw.received.subarray(raw.received.indexOf('\r\n\r\n') + 4);
  assert.equal(frame[0], 0x88, 'a Close frame (FIN, opcode 8)');
  assert.equal(frame.readUInt16BE(2), 1001);
  // The grace is 1 s (CLOSE_GRACE_MS); ws alone would wait 30 s for the peer's Close frame.
  assert.ok(took < 3000, `close() took ${took} ms`);
});

test('ws: a CRLFCRLF keepalive gets a CRLF pong as a text message; a lone CRLF gets nothing (RFC 7118 6, RFC 5626 4.4.1)', { timeout: 5000 }, async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('ws:127.0.0.1:0');
  const ws = await open(`ws://127.0.0.1:${info.port}`);
  t.after(() => ws.terminate());
  const kinds = record<[SocketIdentity, string]>(tm, 'keepalive');
  // SIP.js with keepAliveInterval sends exactly this and waits for "\r\n".
  const pong = nextMessage(ws);
  ws.send('\r\n\r\n');
  assert.deepEqual(await pong, { text: '\r\n', binary: false });
  // A lone CRLF is a pong (or noise): the next thing the client gets is the answer to its request.
  ws.send('\r\n');
  const got = nextEvent<Msg>(tm, 'message');
  ws.send(optionsRequest('sip:127.0.0.1', 'WS x.invalid'));
  const [msg, source] = await got;
  const reply = nextMessage(ws);
  await tm.sendResponse(createResponse(msg, 200, 'OK'), source);
  assert.match((await reply).text, /^SIP\/2\.0 200 OK\r\n/);
  assert.equal(kinds.length, 2, 'both were keepalives of the connection');
});
