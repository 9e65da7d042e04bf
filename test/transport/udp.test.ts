// UDP end to end: identity, dual-stack, received/rport, response routing, keepalives, STUN, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { createResponse } from '../../src/sip/builder.js';
import type { SipParseError } from '../../src/sip/errors.js';
import type { SipMessage } from '../../src/sip/message.js';
import { decodeXorMappedAddress, STUN_MAGIC_COOKIE, stunBindingSuccess } from '../../src/sip/stun.js';
import { TransportError } from '../../src/transport/errors.js';
import type { KeepaliveKind, SocketIdentity, TransportWarning } from '../../src/transport/types.js';
import { RawUdpPeer } from '../helpers/raw-client.js';
import { manager, nextEvent, optionsRequest, record, sleep } from './wire.js';

type Msg = [SipMessage, SocketIdentity];

test('udp 127.0.0.1: a request arrives with its identity, the response gets back', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('udp:127.0.0.1:0');
  assert.equal(info.description, `udp 127.0.0.1:${info.port} (IPv4 only)`);
  assert.deepEqual(info.families, [4]);
  const peer = await RawUdpPeer.open();
  t.after(() => peer.close());
  const got = nextEvent<Msg>(tm, 'message');
  peer.send(optionsRequest('sip:127.0.0.1', `UDP 127.0.0.1:${peer.port}`), info.port);
  const [msg, source] = await got;
  assert.equal(msg.method, 'OPTIONS');
  assert.deepEqual(source, {
    protocol: 'udp',
    local: { address: '127.0.0.1', port: info.port, family: 4 },
    remote: { address: '127.0.0.1', port: peer.port, family: 4 },
    listener: `udp 127.0.0.1:${info.port}`,
  });
  // RFC 3581: rport filled in, received always added.
  assert.match(msg.header('via') ?? '', new RegExp(`;rport=${peer.port}.*;received=127\\.0\\.0\\.1$`));
  await tm.sendResponse(createResponse(msg, 200, 'OK'), source);
  const reply = (await peer.receive(2000))?.toString('latin1') ?? '';
  assert.match(reply, /^SIP\/2\.0 200 OK\r\n/);
  assert.match(reply, new RegExp(`rport=${peer.port}`));
});

test('udp [::1]: IPv6 only, identity bare IPv6', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('udp:[::1]:0');
  assert.equal(info.description, `udp [::1]:${info.port} (IPv6 only)`);
  const peer = await RawUdpPeer.open('::1');
  t.after(() => peer.close());
  const got = nextEvent<Msg>(tm, 'message');
  peer.send(optionsRequest('sip:[::1]', `UDP [::1]:${peer.port}`), info.port);
  const [msg, source] = await got;
  assert.deepEqual(source.remote, { address: '::1', port: peer.port, family: 6 });
  assert.equal(source.local.address, '::1');
  assert.equal(msg.topVia()?.received, '::1');
  await tm.sendResponse(createResponse(msg, 200, 'OK'), source);
  assert.match((await peer.receive(2000))?.toString() ?? '', /^SIP\/2\.0 200 OK/);
});

for (const spec of ['udp:*:0', 'udp:[::]:0']) {
  test(`${spec} is dual-stack: an IPv4 client shows as 127.0.0.1, never ::ffff:, and gets its answer`, async (t) => {
    const tm = manager();
    t.after(() => tm.close());
    const info = await tm.listen(spec);
    assert.equal(info.address, '::');
    assert.deepEqual(info.families, [4, 6]);
    assert.equal(info.description, `udp [::]:${info.port} (IPv4 and IPv6)`);
    const peer = await RawUdpPeer.open('127.0.0.1');
    t.after(() => peer.close());
    const got = nextEvent<Msg>(tm, 'message');
    peer.send(optionsRequest('sip:127.0.0.1', `UDP 127.0.0.1:${peer.port}`), info.port);
    const [msg, source] = await got;
    assert.deepEqual(source.remote, { address: '127.0.0.1', port: peer.port, family: 4 });
    assert.doesNotMatch(JSON.stringify(source) + msg.toBuffer().toString(), /ffff/);
    await tm.sendResponse(createResponse(msg, 200, 'OK'), source);
    assert.match((await peer.receive(2000))?.toString() ?? '', /^SIP\/2\.0 200 OK/);
    // send() to an IPv4 target from the dual-stack socket.
    const sent = await tm.send({ protocol: 'udp', address: '127.0.0.1', port: peer.port }, Buffer.from('hello'));
    assert.deepEqual(sent.remote, { address: '127.0.0.1', port: peer.port, family: 4 });
    assert.equal((await peer.receive(2000))?.toString(), 'hello');
    // And an IPv6 client on the same socket.
    const peer6 = await RawUdpPeer.open('::1');
    t.after(() => peer6.close());
    const got6 = nextEvent<Msg>(tm, 'message');
    peer6.send(optionsRequest('sip:[::1]', `UDP [::1]:${peer6.port}`), info.port, '::1');
    assert.deepEqual((await got6)[1].remote, { address: '::1', port: peer6.port, family: 6 });
  });
}

test('received without rport: added only when sent-by differs (RFC 3261 18.2.1)', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('udp:127.0.0.1:0');
  const peer = await RawUdpPeer.open();
  t.after(() => peer.close());
  const noRport = (via: string): string => optionsRequest('sip:127.0.0.1', via).replace(';rport', '');
  let got = nextEvent<Msg>(tm, 'message');
  peer.send(noRport(`UDP 10.0.0.1:${peer.port}`), info.port);
  assert.match((await got)[0].header('via') ?? '', /^SIP\/2\.0\/UDP 10\.0\.0\.1:\d+;branch=[^;]+;received=127\.0\.0\.1$/);
  got = nextEvent<Msg>(tm, 'message');
  peer.send(noRport(`UDP 127.0.0.1:${peer.port}`), info.port);
  assert.match((await got)[0].header('via') ?? '', /^SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=[^;]+$/);
});

test('symmetric responses (default) go to the source; strict ones follow Via received + sent-by port', async (t) => {
  const peer = await RawUdpPeer.open();
  const other = await RawUdpPeer.open();
  t.after(() => { peer.close(); other.close(); });
  // The Via names `other`'s port, without rport: only strict routing uses it.
  const request = optionsRequest('sip:127.0.0.1', `UDP 10.0.0.1:${other.port}`).replace(';rport', '');
  for (const symmetricResponses of [true, false]) {
    const tm = manager({ symmetricResponses });
    const info = await tm.listen('udp:127.0.0.1:0');
    const got = nextEvent<Msg>(tm, 'message');
    peer.send(request, info.port);
    const [msg, source] = await got;
    await tm.sendResponse(createResponse(msg, 200, 'OK'), source);
    const [hit, miss] = symmetricResponses ? [peer, other] : [other, peer];
    assert.match((await hit.receive(2000))?.toString() ?? '', /^SIP\/2\.0 200 OK/, `symmetric=${symmetricResponses}`);
    assert.equal(await miss.receive(100), undefined);
    await tm.close();
  }
});

test('a Via saying TCP on a request that came over UDP is answered over UDP', async (t) => {
  const tm = manager({ symmetricResponses: false });
  t.after(() => tm.close());
  const info = await tm.listen('udp:127.0.0.1:0');
  const peer = await RawUdpPeer.open();
  t.after(() => peer.close());
  const got = nextEvent<Msg>(tm, 'message');
  peer.send(optionsRequest('sip:127.0.0.1', `TCP 127.0.0.1:${peer.port}`), info.port);
  const [msg, source] = await got;
  await tm.sendResponse(createResponse(msg, 200, 'OK'), source);
  assert.match((await peer.receive(2000))?.toString() ?? '', /^SIP\/2\.0 200 OK/);
});

test('never answer to a broadcast address (RFC 4475 bcast): dropped with a warning', async (t) => {
  const tm = manager({ symmetricResponses: false });
  t.after(() => tm.close());
  const info = await tm.listen('udp:127.0.0.1:0');
  const peer = await RawUdpPeer.open();
  t.after(() => peer.close());
  const traced = record<[string]>(tm, 'trace');
  const got = nextEvent<Msg>(tm, 'message');
  peer.send(optionsRequest('sip:127.0.0.1', `UDP 127.0.0.1:${peer.port};maddr=255.255.255.255`).replace(';rport', ''), info.port);
  const [msg, source] = await got;
  const warned = nextEvent<[TransportWarning]>(tm, 'warning');
  await tm.sendResponse(createResponse(msg, 200, 'OK'), source);
  const [warning] = await warned;
  assert.equal(warning.code, 'response-to-broadcast');
  assert.match(warning.message, /255\.255\.255\.255.*broadcast/);
  assert.deepEqual(traced.map(([d]) => d), ['in']);
  assert.equal(await peer.receive(100), undefined);
});

test('NUL and CRLF datagrams are keepalives: quiet, no answer, a keepalive event', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('udp:127.0.0.1:0');
  const peer = await RawUdpPeer.open();
  t.after(() => peer.close());
  const messages = record(tm, 'message');
  const malformed = record(tm, 'malformed');
  for (const [bytes, kind] of [[Buffer.from([0]), 'nul'], [Buffer.from('\r\n'), 'crlf'], [Buffer.from('\r\n\r\n'), 'crlf']] as const) {
    const seen = nextEvent<[SocketIdentity, KeepaliveKind]>(tm, 'keepalive');
    peer.send(bytes, info.port);
    const [source, k] = await seen;
    assert.equal(k, kind);
    assert.deepEqual(source.remote, { address: '127.0.0.1', port: peer.port, family: 4 });
  }
  assert.equal(await peer.receive(100), undefined);
  assert.equal(messages.length + malformed.length, 0);
});

test('a STUN Binding request is answered with the source as XOR-MAPPED-ADDRESS (RFC 5389, RFC 5626 4.4.2)', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  for (const [spec, address] of [['udp:127.0.0.1:0', '127.0.0.1'], ['udp:[::1]:0', '::1'], ['udp:*:0', '127.0.0.1']] as const) {
    const info = await tm.listen(spec);
    const peer = await RawUdpPeer.open(address);
    t.after(() => peer.close());
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0);
    request.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
    randomBytes(12).copy(request, 8);
    const seen = nextEvent<[SocketIdentity, KeepaliveKind]>(tm, 'keepalive');
    peer.send(request, info.port, address);
    const response = await peer.receive(2000);
    assert.ok(response, spec);
    assert.deepEqual(response.subarray(8, 20), request.subarray(8, 20));
    assert.deepEqual(decodeXorMappedAddress(response), { address, port: peer.port });
    assert.equal((await seen)[1], 'stun');
  }
});

test('a STUN Binding response goes up as stun-response with its bytes and source; a request does not (RFC 5626 4.4.2)', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('udp:127.0.0.1:0');
  const peer = await RawUdpPeer.open();
  t.after(() => peer.close());
  const responses = record<[Buffer, SocketIdentity]>(tm, 'stun-response');
  const response = stunBindingSuccess(randomBytes(12), '198.51.100.7', 40000);
  const seen = nextEvent<[Buffer, SocketIdentity]>(tm, 'stun-response');
  const keepalive = nextEvent<[SocketIdentity, KeepaliveKind]>(tm, 'keepalive');
  peer.send(response, info.port);
  const [data, source] = await seen;
  assert.deepEqual(data, response);
  assert.deepEqual(decodeXorMappedAddress(data), { address: '198.51.100.7', port: 40000 });
  assert.deepEqual(source.remote, { address: '127.0.0.1', port: peer.port, family: 4 });
  assert.equal(source.listener, info.name);
  assert.equal((await keepalive)[1], 'stun');
  // A Binding error response (class 0b11) is a response too; a request is answered, not passed up.
  const error = Buffer.from(response);
  error.writeUInt16BE(0x0111, 0);
  peer.send(error, info.port);
  await nextEvent(tm, 'stun-response', (d: Buffer) => d.readUInt16BE(0) === 0x0111);
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0);
  request.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
  randomBytes(12).copy(request, 8);
  peer.send(request, info.port);
  assert.ok(await peer.receive(2000));
  await sleep(50);
  assert.equal(responses.length, 2);
  // No answer goes back to a response (RFC 5389 7.3: only requests are answered).
  assert.equal(await peer.receive(100), undefined);
});

test('a malformed datagram is reported, not thrown; the layer above gets the partial request', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('udp:127.0.0.1:0');
  const peer = await RawUdpPeer.open();
  t.after(() => peer.close());
  const bad = nextEvent<[SipParseError, Buffer, SocketIdentity]>(tm, 'malformed');
  peer.send(optionsRequest('sip:127.0.0.1', `UDP 127.0.0.1:${peer.port}`).replace('CSeq: 1 OPTIONS', 'CSeq: x OPTIONS').replace('Content-Length: 0', 'Content-Length: 99'), info.port);
  const [err, data, source] = await bad;
  assert.equal(err.status, 400);
  assert.equal(err.partial?.kind, 'request');
  assert.ok(data.length > 0);
  assert.equal(source.remote.port, peer.port);
  // Junk is dropped quietly; the socket still works.
  peer.send(Buffer.from([0xff, 0xfe, 0x00, 0x01]), info.port);
  const ok = nextEvent<Msg>(tm, 'message');
  peer.send(optionsRequest('sip:127.0.0.1', `UDP 127.0.0.1:${peer.port}`), info.port);
  await ok;
});

test('a port already in use is an error naming the socket', async (t) => {
  const blocker = createSocket({ type: 'udp6', ipv6Only: true });
  await new Promise<void>((resolve) => blocker.bind(0, '::1', resolve));
  t.after(() => blocker.close());
  const port = blocker.address().port;
  const tm = manager();
  t.after(() => tm.close());
  await assert.rejects(tm.listen(`udp:[::1]:${port}`), (err: unknown) => {
    assert.ok(err instanceof TransportError);
    assert.equal(err.code, 'address-in-use');
    assert.equal(err.message, `cannot listen on udp [::1]:${port}: address already in use`);
    return true;
  });
});

test('send() with no UDP socket for the family rejects with a typed error', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  await tm.listen('udp:127.0.0.1:0');
  await assert.rejects(tm.send({ protocol: 'udp', address: '::1', port: 5060 }, Buffer.from('x')),
    (err: unknown) => err instanceof TransportError && err.code === 'no-listener');
  await assert.rejects(tm.send({ protocol: 'udp', address: 'example.com', port: 5060 }, Buffer.from('x')),
    (err: unknown) => err instanceof TransportError && err.code === 'bad-address');
});

test('UDP sockets get large buffers (default 4 MiB, capped by the kernel without failing)', async (t) => {
  const tm = manager({ udpBufferSize: 1024 * 1024 });
  t.after(() => tm.close());
  const size = (await tm.listen('udp:127.0.0.1:0')).receiveBufferSize ?? 0;
  // The kernel default is ~208 KiB; Linux reports twice what it grants (socket(7)).
  assert.ok(size >= 1024 * 1024, `receive buffer ${size}`);
  // Far above net.core.rmem_max: capped, not an error.
  const huge = manager({ udpBufferSize: 2 ** 30 });
  t.after(() => huge.close());
  const capped = await huge.listen('udp:127.0.0.1:0');
  assert.ok((capped.receiveBufferSize ?? 0) > 0);
});

test('a request with a malformed Via still gets its 400 back to the source (symmetric routing needs no Via)', async (t) => {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('udp:127.0.0.1:0');
  const peer = await RawUdpPeer.open();
  t.after(() => peer.close());
  const bad = nextEvent<[SipParseError, Buffer, SocketIdentity]>(tm, 'malformed');
  peer.send(optionsRequest('sip:127.0.0.1', `UDP 127.0.0.1:${peer.port};;`), info.port);
  const [err, , source] = await bad;
  assert.match(err.reason, /Via/);
  assert.ok(err.partial);
  await tm.sendResponse(createResponse(err.partial, err.status, err.reason), source);
  assert.match((await peer.receive(2000))?.toString() ?? '', /^SIP\/2\.0 400 Bad Request \(malformed Via/);
});
