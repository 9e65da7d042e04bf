import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyDatagram, StreamFramer, type FrameEvent } from '../../src/sip/framing.js';
import { bindingSuccessResponse, buildStunBindingSuccess, decodeXorMappedAddress, parseStunBindingRequest, STUN_MAGIC_COOKIE } from '../../src/sip/stun.js';

const M1 = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 3\r\n\r\nabc');
const M2 = Buffer.from('MESSAGE sip:a@b SIP/2.0\r\nl: 2\r\n\r\nhi');

const kinds = (evs: FrameEvent[]): string[] => evs.map((e) => (e.type === 'message' ? `message:${e.data.length}` : e.type === 'error' ? `error:${e.reason}` : e.type));

test('several messages in one chunk, one message over many chunks', () => {
  const f = new StreamFramer();
  assert.deepEqual(kinds(f.push(Buffer.concat([M1, M2]))), [`message:${M1.length}`, `message:${M2.length}`]);
  const g = new StreamFramer();
  const all = Buffer.concat([M1, M2]);
  const events: FrameEvent[] = [];
  for (let i = 0; i < all.length; i++) events.push(...g.push(all.subarray(i, i + 1)));
  assert.deepEqual(kinds(events), [`message:${M1.length}`, `message:${M2.length}`]);
  assert.equal(g.buffered, 0);
  const first = events[0];
  assert.ok(first.type === 'message' && first.data.equals(M1));
});

test('RFC 5626 keepalives: CRLFCRLF is a ping, a lone CRLF a pong', () => {
  const f = new StreamFramer();
  assert.deepEqual(kinds(f.push(Buffer.from('\r\n\r\n'))), ['ping']);
  assert.deepEqual(kinds(f.push(Buffer.from('\r\n'))), ['pong']);
  assert.deepEqual(kinds(f.push(Buffer.concat([Buffer.from('\r\n\r\n'), M1]))), ['ping', `message:${M1.length}`]);
  // RFC 3261 18.3: a stream may be cut anywhere, a CRLFCRLF ping too. Its first half looks like a
  // pong (harmless); the second half makes it the ping it was, which must get its pong.
  const split = new StreamFramer();
  assert.deepEqual(kinds(split.push(Buffer.from('\r\n'))), ['pong']);
  assert.deepEqual(kinds(split.push(Buffer.from('\r\n'))), ['ping']);
  assert.deepEqual(kinds(split.push(M1)), [`message:${M1.length}`]);
});

test('RFC 5626 4.4.1: after our ping, a CRLF is its pong in whatever reads it comes, never half of a ping', () => {
  // Two pongs, one per keepalive interval, each in a read of its own: both are pongs.
  const client = new StreamFramer();
  client.expectPong();
  assert.deepEqual(kinds(client.push(Buffer.from('\r\n'))), ['pong']);
  client.expectPong();
  assert.deepEqual(kinds(client.push(Buffer.from('\r\n'))), ['pong']);
  // Other traffic between them changes nothing.
  client.expectPong();
  assert.deepEqual(kinds(client.push(M1)), [`message:${M1.length}`]);
  assert.deepEqual(kinds(client.push(Buffer.from('\r\n'))), ['pong']);
  // Two pings outstanding whose pongs arrive in one read: two pongs, not a ping to answer.
  client.expectPong();
  client.expectPong();
  assert.deepEqual(kinds(client.push(Buffer.from('\r\n\r\n'))), ['pong', 'pong']);
  // With no ping of ours outstanding, a split CRLFCRLF is the peer's ping again.
  assert.deepEqual(kinds(client.push(Buffer.from('\r\n'))), ['pong']);
  assert.deepEqual(kinds(client.push(Buffer.from('\r\n'))), ['ping']);
});

test('bare-LF line ends frame like CRLF (as the parser reads them): one message each, never run together', () => {
  const lf = Buffer.from('OPTIONS sip:a@b SIP/2.0\nCall-ID: lf\nContent-Length: 0\n\n');
  const f = new StreamFramer();
  assert.deepEqual(kinds(f.push(lf)), [`message:${lf.length}`]);
  assert.deepEqual(kinds(f.push(M1)), [`message:${M1.length}`]);
  const mixed = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: mixed\r\nl: 2\n\r\nok');
  assert.deepEqual(kinds(new StreamFramer().push(Buffer.concat([mixed, M2]))), [`message:${mixed.length}`, `message:${M2.length}`]);
});

test('folding and limits count as the parser counts: a folded header is one header and one line', () => {
  // RFC 3261 7.3.1: a folded Content-Length is still a Content-Length.
  const folded = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length:\r\n 2\r\n\r\nhi');
  assert.deepEqual(kinds(new StreamFramer().push(folded)), [`message:${folded.length}`]);
  // Ten headers folded over two lines each are ten headers, not twenty.
  const many = ['OPTIONS sip:a@b SIP/2.0', ...Array.from({ length: 10 }, (_, i) => `X-H${i}: a\r\n b`), 'Content-Length: 0', '', ''].join('\r\n');
  assert.deepEqual(kinds(new StreamFramer({ maxHeaders: 11 }).push(Buffer.from(many))), [`message:${many.length}`]);
  // A line of exactly maxLineLength octets fits: its CRLF is not part of it.
  const line = `X-Pad: ${'a'.repeat(100 - 7)}`;
  const exact = Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\n${line}\r\nContent-Length: 0\r\n\r\n`);
  assert.deepEqual(kinds(new StreamFramer({ maxLineLength: 100 }).push(exact)), [`message:${exact.length}`]);
  assert.deepEqual(kinds(new StreamFramer({ maxLineLength: 99 }).push(exact)), ['error:header line too long']);
});

test('missing Content-Length and limits are fatal errors with a reason', () => {
  const f = new StreamFramer();
  assert.deepEqual(kinds(f.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\n\r\n'))), ['error:missing Content-Length header']);
  assert.deepEqual(f.push(M1), []);
  assert.deepEqual(kinds(new StreamFramer({ maxMessageSize: 40 }).push(M1)), ['error:message too large']);
  assert.deepEqual(kinds(new StreamFramer({ maxMessageSize: 100 }).push(Buffer.alloc(200, 'a'))), ['error:message too large']);
  assert.deepEqual(kinds(new StreamFramer({ maxLineLength: 10 }).push(Buffer.alloc(20, 'a'))), ['error:header line too long']);
  assert.deepEqual(kinds(new StreamFramer({ maxHeaders: 1 }).push(M1)), ['error:too many headers']);
  assert.deepEqual(kinds(new StreamFramer().push(Buffer.from('A sip:a SIP/2.0\r\nl: x\r\n\r\n'))), ['error:malformed Content-Length header']);
  assert.deepEqual(kinds(new StreamFramer().push(Buffer.from('A sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\n'))), ['error:multiple Content-Length headers']);
});

test('classifyDatagram: NUL, CRLF and CRLFCRLF keepalives, STUN, SIP, junk', () => {
  assert.equal(classifyDatagram(Buffer.from([0])), 'keepalive');
  assert.equal(classifyDatagram(Buffer.from('\r\n')), 'keepalive');
  assert.equal(classifyDatagram(Buffer.from('\r\n\r\n')), 'keepalive');
  const stun = Buffer.alloc(20);
  stun.writeUInt16BE(1, 0);
  stun.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
  assert.equal(classifyDatagram(stun), 'stun');
  assert.equal(classifyDatagram(M1), 'sip');
  assert.equal(classifyDatagram(Buffer.from([0x80, 1, 2, 3])), 'junk');
  assert.equal(classifyDatagram(Buffer.alloc(0)), 'junk');
});

test('STUN Binding request -> success with XOR-MAPPED-ADDRESS (RFC 5389 15.2), IPv4 and IPv6', () => {
  const req = Buffer.alloc(20);
  req.writeUInt16BE(1, 0);
  req.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
  req.fill(7, 8);
  const parsed = parseStunBindingRequest(req);
  assert.ok(parsed);
  assert.deepEqual([...parsed.transactionId], Array(12).fill(7));
  assert.deepEqual(decodeXorMappedAddress(buildStunBindingSuccess(parsed, '192.0.2.1', 5060, 4)), { address: '192.0.2.1', port: 5060 });
  assert.deepEqual(decodeXorMappedAddress(buildStunBindingSuccess(parsed, '2001:db8::1', 40000, 6)), { address: '2001:db8::1', port: 40000 });
  assert.throws(() => buildStunBindingSuccess(parsed, '192.0.2.1', 1, 6), RangeError);
  assert.equal(parseStunBindingRequest(M1), undefined);
});

test('RFC 5389 7.3.1: a Binding request with an unknown comprehension-required attribute gets 420 listing it', () => {
  const request = Buffer.from('000100102112a442070707070707070707070707002300040102030480220004616263ff', 'hex');
  const answer = bindingSuccessResponse(request, '127.0.0.1', 5060);
  assert.ok(answer);
  assert.equal(answer.readUInt16BE(0), 0x0111, 'Binding error response');
  assert.ok(answer.subarray(8, 20).equals(request.subarray(8, 20)), 'same transaction id');
  const attrs = new Map<number, Buffer>();
  for (let at = 20; at < answer.length;) {
    const type = answer.readUInt16BE(at);
    const length = answer.readUInt16BE(at + 2);
    attrs.set(type, answer.subarray(at + 4, at + 4 + length));
    at += 4 + length + ((4 - (length % 4)) % 4);
  }
  assert.equal(answer.readUInt16BE(2), answer.length - 20);
  const error = attrs.get(0x0009) as Buffer;
  assert.equal(error[2] * 100 + error[3], 420);
  assert.equal(error.subarray(4).toString(), 'Unknown Attribute');
  // Only the comprehension-required one (0x0023), not the optional SOFTWARE-like 0x8022.
  assert.deepEqual([...(attrs.get(0x000a) as Buffer)], [0x00, 0x23]);
  // Without it: the usual success.
  const plain = Buffer.from('000100002112a442070707070707070707070707', 'hex');
  assert.equal(bindingSuccessResponse(plain, '127.0.0.1', 5060)?.readUInt16BE(0), 0x0101);
});

// A stream cut anywhere frames the same: the framer resumes where the last read stopped (a header
// end looked for among the new bytes, a body waited for by its length), and the bytes of framed
// messages stay as they were while later reads arrive.
test('any cutting of a stream of messages frames as the whole stream does, and framed messages stay intact', () => {
  const body = Buffer.alloc(3000, 'x');
  const big = Buffer.concat([Buffer.from(`MESSAGE sip:a@b SIP/2.0\r\nCall-ID: big\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
  const lf = Buffer.from('OPTIONS sip:a@b SIP/2.0\nCall-ID: lf\nContent-Length: 0\n\n');
  const stream = Buffer.concat([M1, Buffer.from('\r\n\r\n'), big, M2, lf, M1]);
  const whole = new StreamFramer().push(stream).map((e) => (e.type === 'message' ? Buffer.from(e.data).toString('latin1') : e.type));
  let seed = 7;
  const random = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  for (let round = 0; round < 200; round++) {
    const f = new StreamFramer();
    const framed: Array<Buffer | string> = [];
    for (let at = 0; at < stream.length;) {
      const size = 1 + random(round % 3 === 0 ? 3 : 200);
      for (const e of f.push(Buffer.from(stream.subarray(at, at + size)))) framed.push(e.type === 'message' ? e.data : e.type);
      at += size;
    }
    // Compared only now: a message framed early must not have been overwritten by later reads.
    // Keepalives cut into pieces are the keepalive test's business.
    const seen = framed.filter((x) => typeof x !== 'string').map((x) => x.toString('latin1'));
    assert.deepEqual(seen, whole.filter((x) => x !== 'ping'), `round ${round}`);
    assert.equal(f.buffered, 0);
  }
});

test('limits still hold when a message trickles in: too large, a line too long, with the failed bytes', () => {
  const f = new StreamFramer({ maxMessageSize: 2000, maxLineLength: 100 });
  const head = 'MESSAGE sip:a@b SIP/2.0\r\nSubject: ';
  let events: FrameEvent[] = [];
  for (const c of Buffer.from(head + 'y'.repeat(150))) events = events.concat(f.push(Buffer.from([c])));
  assert.deepEqual(kinds(events), ['error:header line too long']);
  const failed = events[0];
  assert.ok(failed.type === 'error' && failed.data.toString().startsWith('MESSAGE sip:a@b'));
  const g = new StreamFramer({ maxMessageSize: 2000, maxLineLength: 100 });
  events = [];
  const lines = Buffer.from(head + 'z\r\n' + 'X-Filler: 0123456789\r\n'.repeat(200));
  for (let i = 0; i < lines.length; i += 7) events = events.concat(g.push(lines.subarray(i, i + 7)));
  assert.deepEqual(kinds(events), ['error:message too large']);
});

test('a peer that never pongs: after many pings of ours, its own CRLFCRLF ping is still answered as a ping', () => {
  const f = new StreamFramer();
  for (let i = 0; i < 50; i++) f.expectPong();
  // A late pong or two are still taken as pongs; a ping of the peer's own comes through as one.
  assert.deepEqual(kinds(f.push(Buffer.from('\r\n'))), ['pong']);
  assert.deepEqual(kinds(f.push(Buffer.from('\r\n'))), ['pong']);
  assert.deepEqual(kinds(f.push(Buffer.from('\r\n\r\n'))), ['ping']);
});
