import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipParseError } from '../../src/sip/errors.js';
import { formatVia, parseVia } from '../../src/sip/headers/via.js';
import { parseCSeq } from '../../src/sip/headers/cseq.js';
import { parseContact } from '../../src/sip/headers/contact.js';
import { parseAuth } from '../../src/sip/headers/auth.js';
import { parseEvent, parseSubscriptionState } from '../../src/sip/headers/event.js';
import { parseMediaType } from '../../src/sip/headers/media-type.js';
import { parseDate } from '../../src/sip/headers/date.js';
import { formatNameAddr, parseNameAddr, parseNameAddrList } from '../../src/sip/name-addr.js';
import { splitList } from '../../src/sip/scan.js';
import { canonicalName, isListHeader } from '../../src/sip/header-names.js';

const bad = (fn: () => unknown, re: RegExp): void => {
  assert.throws(fn, (e: unknown) => e instanceof SipParseError && e.status === 400 && re.test(e.reason));
};

test('compact forms (RFC 3261 7.3.3 and extensions) map to canonical names', () => {
  const table: Record<string, string> = {
    i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type', f: 'from',
    s: 'subject', k: 'supported', t: 'to', v: 'via', o: 'event', u: 'allow-events', r: 'refer-to',
    b: 'referred-by', x: 'session-expires', y: 'identity', a: 'accept-contact', j: 'reject-contact', d: 'request-disposition',
  };
  for (const [short, long] of Object.entries(table)) {
    assert.equal(canonicalName(short), long);
    assert.equal(canonicalName(short.toUpperCase()), long);
  }
  assert.equal(canonicalName('CALL-ID'), 'call-id');
  assert.equal(canonicalName('X-Custom'), 'x-custom');
  assert.ok(isListHeader('via') && !isListHeader('authorization'));
});

test('splitList respects quotes and <>', () => {
  assert.deepEqual(splitList('"a, b" <sip:x>, <sip:y;p=1,2>, c'), ['"a, b" <sip:x>', '<sip:y;p=1,2>', 'c']);
  assert.deepEqual(splitList('"q \\" ,x", y'), ['"q \\" ,x"', 'y']);
});

test('Via: every parameter, received with and without brackets, rport with and without value', () => {
  const v = parseVia('SIP/2.0/udp [2001:db8::1]:5060;branch=z9hG4bK1;received=[2001:db8::2];rport;maddr=224.2.0.1;ttl=16;x=y');
  assert.equal(v.transport, 'UDP');
  assert.deepEqual([v.host, v.hostKind, v.port], ['2001:db8::1', 'ipv6', 5060]);
  assert.equal(v.branch, 'z9hG4bK1');
  assert.equal(v.received, '2001:db8::2');
  assert.equal(v.rport, null);
  assert.equal(v.maddr, '224.2.0.1');
  assert.equal(v.ttl, 16);
  assert.equal(v.params.get('x'), 'y');
  const w = parseVia('SIP / 2.0 / TCP host.example.com : 5070 ; rport=1234 ; received=192.0.2.9');
  assert.deepEqual([w.host, w.port, w.rport, w.received], ['host.example.com', 5070, 1234, '192.0.2.9']);
  assert.equal(parseVia('SIP/2.0/UDP h').rport, undefined);
  bad(() => parseVia('SIP/2.0/UDP h;received=host.example.com'), /received is not an IP address/);
  bad(() => parseVia('SIP/2.0 h'), /malformed Via header/);
  bad(() => parseVia('SIP/2.0/UDP'), /sent-by/);
  bad(() => parseVia('SIP/2.0/UDP h;rport=99999'), /rport/);
  bad(() => parseVia('SIP/2.0/UDP h;ttl=300'), /ttl/);
});

test('formatVia: typed fields win, received stays bare, params keep their order', () => {
  const v = parseVia('SIP/2.0/UDP [2001:db8::1];rport;branch=z9hG4bKa;foo');
  v.received = '2001:db8::9';
  v.rport = 5062;
  assert.equal(formatVia(v), 'SIP/2.0/UDP [2001:db8::1];rport=5062;branch=z9hG4bKa;foo;received=2001:db8::9');
});

test('CSeq', () => {
  assert.deepEqual(parseCSeq(' 4711   INVITE '), { seq: 4711, method: 'INVITE' });
  assert.deepEqual(parseCSeq('4294967295 X'), { seq: 4294967295, method: 'X' });
  bad(() => parseCSeq('4294967296 INVITE'), /out of range/);
  bad(() => parseCSeq('INVITE'), /sequence number/);
  bad(() => parseCSeq('1'), /method/);
});

test('Contact: q, expires, +sip.instance, reg-id, methods', () => {
  const c = parseContact('"A" <sip:a@192.0.2.1;ob>;q=0.7;expires=600;+sip.instance="<urn:uuid:1-2>";reg-id=2;methods="INVITE, MESSAGE"');
  assert.equal(c.displayName, 'A');
  assert.equal(c.q, 0.7);
  assert.equal(c.expires, 600);
  assert.equal(c.instance, '<urn:uuid:1-2>');
  assert.equal(c.regId, 2);
  assert.deepEqual(c.methods, ['INVITE', 'MESSAGE']);
  bad(() => parseContact('<sip:a@b>;q=1.5'), /bad q/);
  bad(() => parseContact('<sip:a@b>;expires=x'), /bad expires/);
});

test('name-addr and addr-spec forms, display names, list parsing, formatting', () => {
  const a = parseNameAddr('sip:alice@example.com;tag=1');
  assert.equal(a.params.get('tag'), '1');
  assert.equal(a.displayName, undefined);
  const b = parseNameAddr('Alice Smith <sip:alice@example.com;transport=tcp>;tag=2');
  assert.equal(b.displayName, 'Alice Smith');
  assert.equal((b.uri as { params: Map<string, string> }).params.get('transport'), 'tcp');
  const c = parseNameAddr('"Quote \\"me\\"" <tel:+1234>');
  assert.equal(c.displayName, 'Quote "me"');
  assert.equal(formatNameAddr(c), '"Quote \\"me\\"" <tel:+1234>');
  assert.equal(formatNameAddr(b), 'Alice Smith <sip:alice@example.com;transport=tcp>;tag=2');
  assert.equal(parseNameAddrList('<sip:a@x;lr>, "b,c" <sip:b@y>').length, 2);
  bad(() => parseNameAddr('<sip:a@b'), /missing >/);
  bad(() => parseNameAddr('"open <sip:a@b>'), /unbalanced quotes/);
  bad(() => parseNameAddrList('<sip:a@x>,,<sip:b@y>'), /empty list element/);
});

test('Authorization / WWW-Authenticate', () => {
  const a = parseAuth('Digest username="bob", realm="biloxi.com", nonce="dcd98b", uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f", response="6629", algorithm=MD5', 'Authorization');
  assert.equal(a.scheme, 'Digest');
  assert.equal(a.params.get('username'), 'bob');
  assert.equal(a.params.get('uri'), 'sip:bob@biloxi.com');
  assert.equal(a.params.get('nc'), '00000001');
  assert.equal(a.params.get('qop'), 'auth');
  bad(() => parseAuth('Digest realm="x', 'WWW-Authenticate'), /WWW-Authenticate header \(unbalanced quotes\)/);
});

test('Event and Subscription-State', () => {
  const e = parseEvent('presence.winfo;id=7');
  assert.deepEqual([e.package, e.id], ['presence.winfo', '7']);
  const s = parseSubscriptionState('Terminated;reason=timeout;retry-after=30');
  assert.deepEqual([s.state, s.reason, s.retryAfter, s.expires], ['terminated', 'timeout', 30, undefined]);
  assert.equal(parseSubscriptionState('active;expires=600').expires, 600);
  bad(() => parseEvent(''), /Event/);
});

test('media types and Date', () => {
  const m = parseMediaType('Text/Plain ; charset="UTF-8"');
  assert.deepEqual([m.type, m.subtype, m.params.get('charset')], ['text', 'plain', 'UTF-8']);
  bad(() => parseMediaType('text'), /missing \//);
  assert.equal(parseDate('Sat, 13 Nov 2010 23:29:00 GMT').toISOString(), '2010-11-13T23:29:00.000Z');
  bad(() => parseDate('yesterday'), /Date/);
});
