import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../src/sip/parser.js';
import { SipParseError } from '../../src/sip/errors.js';
import { SipMessage } from '../../src/sip/message.js';
import { createRequest, createResponse, newBranch, newCallId, newTag } from '../../src/sip/builder.js';
import { reasonPhrase } from '../../src/sip/reason-phrases.js';
import { setViaParams } from '../../src/sip/via-rewrite.js';
import { DEFAULT_LIMITS } from '../../src/sip/limits.js';

const msg = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'));
const REGISTER = [
  'REGISTER sip:example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776;rport, SIP/2.0/TCP proxy.example.com;branch=z9hG4bK2',
  'v: SIP/2.0/UDP third.example.com;branch=z9hG4bK3',
  'Max-Forwards: 70',
  'To: <sip:alice@example.com>',
  'f: "Alice" <sip:alice@example.com>;tag=1928',
  'i: abc@pc33',
  'CSeq: 1 REGISTER',
  'm: <sip:alice@192.0.2.10>;expires=60, <sip:alice@[2001:db8::1]>;q=0.5',
  'Expires: 3600',
  'X-Odd:  keep   me ',
  'Supported: path, outbound',
  'l: 0',
  '', '',
];

function parsed(b: Buffer): SipMessage {
  const m = parseMessage(b);
  if (m instanceof SipParseError) assert.fail(m.reason);
  return m;
}

test('typed accessors over compact forms and multi-value lines', () => {
  const m = parsed(msg(REGISTER));
  assert.equal(m.kind, 'request');
  assert.equal(m.method, 'REGISTER');
  assert.equal(m.requestUri, 'sip:example.com');
  assert.deepEqual(m.via().map((v) => v.branch), ['z9hG4bK776', 'z9hG4bK2', 'z9hG4bK3']);
  assert.equal(m.topVia()?.rport, null);
  assert.equal(m.from().tag, '1928');
  assert.equal(m.to().tag, undefined);
  assert.equal(m.callId(), 'abc@pc33');
  assert.equal(m.expires(), 3600);
  assert.equal(m.contentLength(), 0);
  assert.deepEqual(m.supported(), ['path', 'outbound']);
  const cs = m.contacts();
  assert.ok(Array.isArray(cs));
  assert.deepEqual(cs.map((c) => [c.expires, c.q]), [[60, undefined], [undefined, 0.5]]);
  assert.deepEqual(m.headerValues('via').length, 3);
  assert.equal(m.header('X-ODD'), 'keep   me');
  assert.equal(m.header('nope'), undefined);
  assert.equal(m.hasHeader('Call-ID'), true);
  assert.equal(m.headerFields().find((f) => f.name === 'call-id')?.rawName, 'i');
});

test('typed values are cached and the cache is invalidated by setHeader/addHeader/removeHeader', () => {
  const m = parsed(msg(REGISTER));
  assert.equal(m.cseq(), m.cseq());
  m.setHeader('CSeq', '2 REGISTER');
  assert.equal(m.cseq().seq, 2);
  m.addHeader('Via', 'SIP/2.0/TLS new.example.com;branch=z9hG4bKnew', 'first');
  assert.equal(m.topVia()?.host, 'new.example.com');
  assert.equal(m.via().length, 4);
  m.removeHeader('v');
  assert.equal(m.via().length, 0);
  m.setHeader('Contact', '*');
  assert.equal(m.contacts(), '*');
  assert.throws(() => m.setHeader('X', 'a\r\nInjected: 1'), RangeError);
});

test('the field index the parser builds agrees with the header list: repeats, changes, clones', () => {
  const twice = parsed(msg([...REGISTER.slice(0, 8), 'CSeq: 2 REGISTER', 'Max-Forwards: 69', ...REGISTER.slice(8)]));
  assert.throws(() => twice.cseq(), /multiple CSeq headers/);
  assert.throws(() => twice.maxForwards(), /multiple Max-Forwards headers/);
  assert.equal(twice.callId(), 'abc@pc33');
  const noFrom = parsed(msg(REGISTER.filter((l) => !l.startsWith('f:'))));
  assert.throws(() => noFrom.from(), /missing From header/);
  const m = parsed(msg(REGISTER));
  const copy = m.clone();
  copy.replaceHeader('i', 0, 'other@pc33');
  copy.removeHeader('Expires');
  assert.equal(copy.callId(), 'other@pc33');
  assert.equal(copy.expires(), undefined);
  assert.equal(m.callId(), 'abc@pc33');
  assert.equal(m.expires(), 3600);
  m.addHeader('Expires', '60', 'first');
  assert.throws(() => m.expires(), /multiple Expires headers/);
});

test('toBuffer: canonical start line and names, unknown headers byte-exact, Content-Length follows the body', () => {
  const m = parsed(msg(REGISTER));
  m.body = Buffer.from('hello');
  const text = m.toBuffer().toString();
  assert.ok(text.startsWith('REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10'));
  assert.ok(text.includes('\r\nVia: SIP/2.0/UDP third.example.com;branch=z9hG4bK3\r\n'));
  assert.ok(text.includes('\r\nFrom: "Alice" <sip:alice@example.com>;tag=1928\r\n'));
  assert.ok(text.includes('\r\nCall-ID: abc@pc33\r\n'));
  assert.ok(text.includes('\r\nX-Odd:  keep   me \r\n'));
  assert.ok(text.endsWith('Content-Length: 5\r\n\r\nhello'));
  const again = parsed(m.toBuffer());
  assert.equal(again.body.toString(), 'hello');
  assert.equal(again.via().length, 3);
});

test('invalid UTF-8 in an unknown header survives a round trip byte for byte', () => {
  const raw = Buffer.concat([Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nX-Bin: \xff\xfe'.replace(/./g, (c) => c), 'latin1'), Buffer.from('\r\nCall-ID: 1\r\nl: 0\r\n\r\n')]);
  const m = parsed(raw);
  assert.equal(m.binaryHeaders, true);
  assert.ok(m.toBuffer().includes(Buffer.from('X-Bin: \xff\xfe\r\n', 'latin1')));
  const u = parsed(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nFrom: "Jürgen" <sip:j@b>\r\nl: 0\r\n\r\n'));
  assert.equal(u.from().displayName, 'Jürgen');
});

test('datagram framing: body up to Content-Length, to the end without it, error when larger (RFC 3261 18.3)', () => {
  const base = ['MESSAGE sip:b@x SIP/2.0', 'Call-ID: 1', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1'];
  assert.equal(parsed(msg([...base, 'Content-Length: 3', '', 'abcdef'])).body.toString(), 'abc');
  assert.equal(parsed(msg([...base, '', 'abcdef'])).body.toString(), 'abcdef');
  const e = parseMessage(msg([...base, 'Content-Length: 30', '', 'abcdef']));
  assert.ok(e instanceof SipParseError);
  assert.equal(e.reason, 'Bad Request (Content-Length larger than message)');
  assert.equal(e.partial?.callId(), '1');
  assert.ok(parsed(msg(['', '', ...base, 'l: 0', '', ''])));
  assert.ok(parsed(Buffer.from('OPTIONS sip:a@b SIP/2.0\nCall-ID: 1\nl: 0\n\n')));
});

test('start line errors and version: 505 and 400 with partial', () => {
  const v = parseMessage(msg(['OPTIONS sip:a@b SIP/3.0', 'Call-ID: 1', 'l: 0', '', '']));
  assert.ok(v instanceof SipParseError && v.status === 505 && v.partial?.callId() === '1');
  const r = parseMessage(msg(['SIP/2.1 200 OK', 'l: 0', '', '']));
  assert.ok(r instanceof SipParseError && r.status === 505);
  for (const line of ['OPTIONS', 'OPT(IONS sip:a@b SIP/2.0', 'OPTIONS sip:a@b HTTP/1.1', 'SIP/2.0 99 Low', 'SIP/2.0 2000 X']) {
    const e = parseMessage(msg([line, 'l: 0', '', '']));
    assert.ok(e instanceof SipParseError && e.status === 400, line);
  }
  const h = parseMessage(msg(['OPTIONS sip:a@b SIP/2.0', 'no colon here', '', '']));
  assert.ok(h instanceof SipParseError && /missing colon/.test(h.reason));
  assert.ok(parseMessage(Buffer.alloc(0)) instanceof SipParseError);
});

test('limits: size is 513, header count and line length are 400', () => {
  const big = Buffer.alloc(DEFAULT_LIMITS.maxMessageSize + 1, 'a');
  const e = parseMessage(big);
  assert.ok(e instanceof SipParseError && e.status === 513);
  const many = msg(['OPTIONS sip:a@b SIP/2.0', ...Array.from({ length: 10 }, (_, i) => `X-${i}: 1`), '', '']);
  const m = parseMessage(many, { ...DEFAULT_LIMITS, maxHeaders: 5 });
  assert.ok(m instanceof SipParseError && /too many headers/.test(m.reason));
  const long = parseMessage(msg(['OPTIONS sip:a@b SIP/2.0', 'X: ' + 'a'.repeat(100), '', '']), { ...DEFAULT_LIMITS, maxLineLength: 50 });
  assert.ok(long instanceof SipParseError && /line too long/.test(long.reason));
});

test('createResponse copies Via in order, From, To (+tag), Call-ID, CSeq and sets Content-Length', () => {
  const req = parsed(msg(REGISTER));
  const r = createResponse(req, 200, undefined, { toTag: 'xyz', headers: [['Expires', '60']], body: 'ok', contentType: 'text/plain' });
  assert.equal(r.kind, 'response');
  assert.equal(r.reason, 'OK');
  assert.deepEqual(r.via().map((v) => v.branch), ['z9hG4bK776', 'z9hG4bK2', 'z9hG4bK3']);
  assert.equal(r.to().tag, 'xyz');
  assert.equal(r.from().tag, '1928');
  assert.equal(r.callId(), 'abc@pc33');
  assert.deepEqual(r.cseq(), { seq: 1, method: 'REGISTER' });
  assert.equal(r.header('content-length'), '2');
  assert.equal(r.expires(), 60);
  const trying = createResponse(req, 100);
  assert.equal(trying.to().tag, undefined);
  assert.equal(trying.reason, 'Trying');
  const tagged = createResponse(createResponse(req, 180, undefined, { toTag: 'k' }), 200);
  assert.equal(tagged.to().tag, 'k');
  const out = parsed(r.toBuffer());
  assert.equal(out.status, 200);
  assert.equal(out.body.toString(), 'ok');
});

test('createResponse works from the partial of a broken request', () => {
  const e = parseMessage(msg(['OPTIONS sip:a@b SIP/7.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bKx', 'To: <sip:a@b>', 'From: <sip:c@d>;tag=1', 'Call-ID: 9', 'CSeq: 1 OPTIONS', '', '']));
  assert.ok(e instanceof SipParseError && e.partial);
  const r = createResponse(e.partial, e.status, e.reason);
  assert.equal(r.status, 505);
  assert.equal(r.topVia()?.branch, 'z9hG4bKx');
  assert.ok(r.to().tag);
});

test('createRequest and identifiers', () => {
  const r = createRequest({ method: 'MESSAGE', uri: 'sip:bob@example.org', from: '<sip:alice@example.org>', to: '<sip:bob@example.org>', via: `SIP/2.0/UDP h;branch=${newBranch()}`, body: 'hi', contentType: 'text/plain' });
  assert.equal(r.method, 'MESSAGE');
  assert.ok(r.from().tag);
  assert.equal(r.maxForwards(), 70);
  assert.deepEqual(r.cseq(), { seq: 1, method: 'MESSAGE' });
  assert.equal(r.contentLength(), 2);
  assert.match(newBranch(), /^z9hG4bK[A-Za-z0-9_-]{16}$/);
  assert.notEqual(newBranch(), newBranch());
  assert.match(newTag(), /^[0-9a-f]{16}$/);
  assert.notEqual(newCallId(), newCallId());
});

test('reason phrases', () => {
  for (const [s, p] of [[200, 'OK'], [202, 'Accepted'], [204, 'No Notification'], [412, 'Conditional Request Failed'], [423, 'Interval Too Brief'], [428, 'Use Identity Header'], [429, 'Provide Referrer Identity'], [489, 'Bad Event'], [513, 'Message Too Large'], [499, 'Bad Request']] as const) {
    assert.equal(reasonPhrase(s), p);
  }
});

test('setViaParams rewrites only the top via-parm, keeping its line neighbours', () => {
  const m = parsed(msg(REGISTER));
  setViaParams(m, { received: '2001:db8::7', rport: 40000 });
  const top = m.topVia();
  assert.equal(top?.received, '2001:db8::7');
  assert.equal(top?.rport, 40000);
  assert.equal(m.via().length, 3);
  assert.equal(m.header('via'), 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776;rport=40000;received=2001:db8::7, SIP/2.0/TCP proxy.example.com;branch=z9hG4bK2');
  assert.equal(m.headerFields()[0].name, 'via');
});

test('responses: status, reason, uri() of a response is an error but never a crash', () => {
  const r = parsed(msg(['SIP/2.0 180 Ringing Now', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'Content-Length: 0', '', '']));
  assert.deepEqual([r.kind, r.status, r.reason], ['response', 180, 'Ringing Now']);
});
