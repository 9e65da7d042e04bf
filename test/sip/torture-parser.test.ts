// RFC 4475 and RFC 5118 torture messages: the parser-level outcome of every message in
// test/fixtures/torture/MANIFEST.md. Outcomes decided above the parser (416, 420, 483, 501, ...)
// are checked as "the parser gives the server what it needs".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { parseMessage } from '../../src/sip/parser.js';
import { SipParseError } from '../../src/sip/errors.js';
import { SipMessage } from '../../src/sip/message.js';
import { isSipUri, type SipUri } from '../../src/sip/uri.js';
import { uriEquals } from '../../src/sip/uri-equals.js';

const DIR = new URL('../fixtures/torture/', import.meta.url);
const load = (path: string): Buffer => readFileSync(new URL(path, DIR));

function ok(name: string): SipMessage {
  const dir = name.startsWith('rfc5118/') ? '' : 'rfc4475/';
  const m = parseMessage(load(dir + name + (dir ? '.dat' : '')));
  if (m instanceof SipParseError) assert.fail(`${name}: ${m.reason}`);
  return m;
}

function fails(name: string): SipParseError {
  const dir = name.startsWith('rfc5118/') ? '' : 'rfc4475/';
  const m = parseMessage(load(dir + name + (dir ? '.dat' : '')));
  assert.ok(m instanceof SipParseError, `${name} should not parse`);
  return m;
}

function throwsReason(fn: () => unknown, pattern: RegExp, status = 400): void {
  assert.throws(fn, (err: unknown) => err instanceof SipParseError && err.status === status && pattern.test(err.reason));
}

const sipUri = (u: unknown): SipUri => {
  assert.ok(isSipUri(u as SipUri));
  return u as SipUri;
};

/** Every accessor the server uses: a valid message must answer them all without throwing. */
function touchAll(m: SipMessage): void {
  m.via(); m.from(); m.to(); m.callId(); m.cseq(); m.maxForwards(); m.contacts(); m.expires();
  m.contentLength(); m.contentType(); m.route(); m.recordRoute(); m.require(); m.proxyRequire();
  m.supported(); m.allow(); m.accept();
  if (m.kind === 'request') m.uri();
}

test('the corpus holds the 49 + 12 messages of the manifest', () => {
  assert.equal(readdirSync(new URL('rfc4475/', DIR)).length, 49);
  assert.equal(readdirSync(new URL('rfc5118/', DIR)).length, 12);
});

test('wsinv (4475 3.1.1.1): folded lines, odd spacing and escaped quotes recovered exactly', () => {
  const m = ok('wsinv');
  touchAll(m);
  assert.equal(m.method, 'INVITE');
  assert.equal(m.to().tag, '1918181833n');
  assert.equal(sipUri(m.to().uri).user, 'vivekg');
  assert.equal(m.from().displayName, 'J Rosenberg \\"');
  assert.equal(m.from().tag, '98asjd8');
  assert.equal(m.maxForwards(), 68);
  assert.equal(m.callId(), 'wsinv.ndaksdj@192.0.2.1');
  assert.deepEqual(m.cseq(), { seq: 9, method: 'INVITE' });
  assert.deepEqual(m.via().map((v) => [v.transport, v.host, v.branch]), [
    ['UDP', '192.0.2.2', '390skdjuw'],
    ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
    ['UDP', '192.168.255.111', 'z9hG4bK30239'],
  ]);
  assert.equal(m.header('NewFangledHeader'), 'newfangled value continued newfangled value');
  assert.equal(m.header('UnknownHeaderWithUnusualValue'), ';;,,;;,;');
  assert.equal(m.header('subject'), '');
  const contacts = m.contacts();
  assert.ok(Array.isArray(contacts));
  const [c] = contacts;
  assert.equal(c.displayName, 'Quoted string ""');
  assert.equal(c.q, 0.33);
  assert.equal(c.params.get('newparam'), 'newvalue');
  assert.equal(c.params.get('secondparam'), null);
  assert.equal(m.route().length, 1);
  assert.equal(m.contentType()?.subtype, 'sdp');
  assert.equal(m.body.length, 150);
  // the unknown header goes out byte for byte, folding included
  assert.ok(m.toBuffer().includes('NewFangledHeader:   newfangled value\r\n continued newfangled value\r\n'));
});

test('intmeth (3.1.1.2): unusual method, URI, tokens and quoted controls', () => {
  const m = ok('intmeth');
  touchAll(m);
  assert.equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
  assert.equal(m.cseq().method, m.method);
  const u = sipUri(m.uri());
  assert.equal(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  assert.equal(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  assert.equal(m.from().displayName, "token1~` token2'+_ token3*%!.-");
  assert.equal(m.from().tag, "_token~1'+`*%!-.");
  assert.equal(m.to().displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
  assert.equal(m.callId(), 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
});

test('esc01 (3.1.1.3): escaped user equals unescaped; escaped reserved characters do not', () => {
  const m = ok('esc01');
  touchAll(m);
  assert.ok(uriEquals(m.to().uri, sipUri({ scheme: 'sip', user: 'user', host: 'example.com', hostKind: 'domain', params: new Map(), headers: [] })));
  const r = sipUri(m.uri());
  assert.equal(r.user, 'sips%3Auser%40example.com');
  assert.equal(m.from().uri.scheme, 'sip');
  const [c] = m.contacts() as unknown[] as Array<{ uri: SipUri }>;
  assert.equal(c.uri.params.get('n%61me'), 'v%61lue%25%34%31');
});

test('escnull (3.1.1.4): %00 kept escaped', () => {
  const m = ok('escnull');
  touchAll(m);
  assert.equal(sipUri(m.to().uri).user, 'null-%00-null');
  const cs = m.contacts() as unknown[] as Array<{ uri: SipUri }>;
  assert.deepEqual(cs.map((c) => c.uri.user), ['%00', '%00%00']);
});

test('esc02 (3.1.1.5): RE%47IST%45R is an unknown method, not REGISTER', () => {
  const m = ok('esc02');
  touchAll(m);
  assert.equal(m.method, 'RE%47IST%45R');
  assert.equal(m.cseq().method, 'RE%47IST%45R');
  assert.equal(m.to().displayName, '%Z%45');
  // C%6Fntact is an unknown header, not a Contact
  assert.equal((m.contacts() as unknown[]).length, 2);
  assert.equal(m.header('C%6Fntact'), '<sip:alias2@host2.example.com>');
});

test('lwsdisp, longreq, semiuri, transports, mpart01 (3.1.1.6-11)', () => {
  const lws = ok('lwsdisp');
  touchAll(lws);
  assert.equal(lws.from().displayName, 'caller');
  const long = ok('longreq');
  touchAll(long);
  assert.ok(long.via().length >= 30);
  assert.equal(long.via()[long.via().length - 1].received, '192.0.2.5');
  const semi = ok('semiuri');
  touchAll(semi);
  assert.equal(sipUri(semi.uri()).user, 'user;par=u%40example.net');
  assert.equal(semi.accept().length, 6);
  const tr = ok('transports');
  touchAll(tr);
  assert.deepEqual(tr.via().map((v) => v.transport), ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
  const mp = ok('mpart01');
  touchAll(mp);
  assert.equal(mp.contentType()?.type, 'multipart');
  assert.equal(mp.body.length, mp.contentLength());
});

test('dblreq (3.1.1.8): only the first request, trailing octets ignored', () => {
  const m = ok('dblreq');
  assert.equal(m.method, 'REGISTER');
  assert.equal(m.body.length, 0);
});

test('unreason and noreason (3.1.1.12-13): responses with odd and empty reason phrases', () => {
  const u = ok('unreason');
  assert.equal(u.status, 200);
  assert.ok(u.reason.startsWith('= 2**3 * 5**2 но'));
  touchAll(u);
  const n = ok('noreason');
  assert.equal(n.status, 100);
  assert.equal(n.reason, '');
});

test('badinv01 (3.1.2.1): Via and Contact with empty parameters are malformed', () => {
  const m = ok('badinv01');
  throwsReason(() => m.via(), /malformed Via header/);
  throwsReason(() => m.contacts(), /malformed Contact header/);
});

test('clerr, ncl, mcl01: Content-Length errors are 400 with a partial message', () => {
  for (const [name, re] of [
    ['clerr', /Content-Length larger than message/],
    ['ncl', /malformed Content-Length header/],
    ['mcl01', /multiple Content-Length headers/],
  ] as const) {
    const e = fails(name);
    assert.equal(e.status, 400);
    assert.match(e.reason, re);
    assert.ok(e.partial, name);
    assert.ok(e.partial.topVia()?.branch);
  }
});

test('scalar02 and scalarlg (3.1.2.4-5): overlarge scalars are rejected by their accessors', () => {
  const m = ok('scalar02');
  throwsReason(() => m.cseq(), /malformed CSeq header \(sequence number out of range\)/);
  throwsReason(() => m.maxForwards(), /Max-Forwards/);
  throwsReason(() => m.expires(), /Expires/);
  throwsReason(() => m.contacts(), /Contact/);
  const r = ok('scalarlg');
  assert.equal(r.status, 503);
  throwsReason(() => r.cseq(), /CSeq/);
});

test('quotbal, badaspec, baddn (3.1.2.6, 14, 15): broken name-addrs', () => {
  throwsReason(() => ok('quotbal').to(), /malformed To header \(unbalanced quotes\)/);
  throwsReason(() => ok('badaspec').to(), /malformed To header \(whitespace inside <>\)/);
  throwsReason(() => ok('baddn').from(), /malformed From header \(unquoted display name/);
  throwsReason(() => ok('baddn').to(), /malformed To header/);
});

test('ltgtruri, lwsruri, lwsstart, escruri (3.1.2.7-11): broken Request-Lines are 400 with the defect named', () => {
  const cases = [
    ['ltgtruri', /Request-URI \(enclosed in <>\)/],
    ['lwsruri', /Request-URI \(contains whitespace\)/],
    ['lwsstart', /Request-Line \(extra whitespace\)/],
    ['escruri', /Request-URI \(contains escaped headers\)/],
  ] as const;
  for (const [name, re] of cases) {
    const e = fails(name);
    assert.equal(e.status, 400, name);
    assert.match(e.reason, re, name);
    assert.equal(e.partial?.callId().startsWith(name), true);
  }
});

test('trws (3.1.2.10): trailing whitespace after the version is accepted', () => {
  const m = ok('trws');
  touchAll(m);
  assert.equal(m.version, 'SIP/2.0');
});

test('baddate (3.1.2.12): the message parses, only date() reports the non-GMT zone', () => {
  const m = ok('baddate');
  touchAll(m);
  throwsReason(() => m.date(), /Date header \(time zone must be GMT\)/);
});

test('regbadct (3.1.2.13): an addr-spec Contact with headers must be in <>', () => {
  throwsReason(() => ok('regbadct').contacts(), /Contact header \(URI with \? or , must be enclosed in <>\)/);
});

test('badvers (3.1.2.16): 505 with a partial message', () => {
  const e = fails('badvers');
  assert.equal(e.status, 505);
  assert.equal(e.partial?.method, 'OPTIONS');
  assert.equal(e.partial?.topVia()?.branch, 'z9hG4bKkdjuw');
});

test('mismatch01/02 (3.1.2.17-18): CSeq method differs from the request method', () => {
  const a = ok('mismatch01');
  assert.notEqual(a.cseq().method, a.method);
  const b = ok('mismatch02');
  assert.equal(b.method, 'NEWMETHOD');
  assert.equal(b.cseq().method, 'INVITE');
});

test('bigcode (3.1.2.19): an out-of-range status code is a malformed Status-Line', () => {
  assert.match(fails('bigcode').reason, /Status-Line/);
});

test('badbranch (3.2.1): a bare magic cookie branch parses', () => {
  const m = ok('badbranch');
  assert.equal(m.topVia()?.branch, 'z9hG4bK');
});

test('insuf and multi01 (3.3.1, 3.3.8): missing and repeated single headers', () => {
  const m = ok('insuf');
  throwsReason(() => m.from(), /missing From header/);
  throwsReason(() => m.callId(), /missing Call-ID header/);
  const d = ok('multi01');
  throwsReason(() => d.cseq(), /multiple CSeq headers/);
  throwsReason(() => d.callId(), /multiple Call-ID headers/);
  throwsReason(() => d.to(), /multiple To headers/);
});

test('unkscm, novelsc, unksm2 (3.3.2-4): unknown schemes are OtherUri, never a parse failure', () => {
  const u = ok('unkscm').uri();
  assert.deepEqual(u, { scheme: 'nobodyknowsthisscheme', opaque: 'totallyopaquecontent' });
  assert.equal(ok('novelsc').uri().scheme, 'soap.beep');
  const m = ok('unksm2');
  assert.equal(m.to().uri.scheme, 'isbn');
  assert.equal(m.from().uri.scheme, 'http');
  assert.equal((m.contacts() as Array<{ uri: { scheme: string } }>)[0].uri.scheme, 'name');
});

test('bext01, invut, regaut01, bcast, zeromf, sdp01 (3.3.5-15): what the server decides on', () => {
  const b = ok('bext01');
  assert.deepEqual(b.require(), ['nothingSupportsThis', 'nothingSupportsThisEither']);
  assert.deepEqual(b.proxyRequire(), ['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
  assert.equal(ok('invut').contentType()?.subtype, 'unknownformat');
  assert.equal(ok('regaut01').authorization()[0].scheme, 'NoOneKnowsThisScheme');
  assert.equal(ok('bcast').via()[1].host, '255.255.255.255');
  assert.equal(ok('zeromf').maxForwards(), 0);
  assert.equal(ok('sdp01').accept()[0].subtype, 'nobodyknowsthis');
});

test('cparam01/02, regescrt (3.3.12-14): contact and URI parameters, escaped headers kept', () => {
  const a = ok('cparam01').contacts() as Array<{ uri: SipUri; params: Map<string, string | null> }>;
  assert.equal(a[0].params.get('unknownparam'), null);
  assert.equal(a[0].uri.params.size, 0);
  const b = ok('cparam02').contacts() as Array<{ uri: SipUri }>;
  assert.equal(b[0].uri.params.get('unknownparam'), null);
  const c = ok('regescrt').contacts() as Array<{ uri: SipUri }>;
  assert.deepEqual(c[0].uri.headers, [['Route', '%3Csip:sip.example.com%3E']]);
});

test('inv2543 (3.4.1): RFC 2543 syntax is accepted', () => {
  const m = ok('inv2543');
  touchAll(m);
  assert.equal(m.topVia()?.branch, undefined);
  assert.equal(m.from().tag, undefined);
});

test('RFC 5118: IPv6 references, ports and received with or without brackets', () => {
  const good = ok('rfc5118/ipv6-good');
  touchAll(good);
  assert.equal(sipUri(good.uri()).host, '2001:db8::10');
  assert.equal(sipUri(good.uri()).hostKind, 'ipv6');
  const bad = fails('rfc5118/ipv6-bad');
  assert.match(bad.reason, /IPv6 address without \[\]/);
  assert.equal(sipUri(ok('rfc5118/port-ambiguous').uri()).port, undefined);
  assert.equal(sipUri(ok('rfc5118/port-ambiguous').uri()).host, '2001:db8::10:5070');
  assert.equal(sipUri(ok('rfc5118/port-unambiguous').uri()).port, 5070);
  assert.equal(ok('rfc5118/via-received-param-with-delim').topVia()?.received, '2001:db8::9:255');
  assert.equal(ok('rfc5118/via-received-param-no-delim').topVia()?.received, '2001:db8::9:255');
  const mult = ok('rfc5118/mult-ip-in-header');
  assert.deepEqual(mult.via().map((v) => [v.host, v.hostKind, v.port]), [
    ['2001:db8::9:1', 'ipv6', 6050], ['192.0.2.1', 'ipv4', undefined], ['2001:db8::9:255', 'ipv6', undefined],
  ]);
  const mapped = ok('rfc5118/ipv4-mapped-ipv6');
  assert.equal(mapped.topVia()?.host, '::ffff:192.0.2.10');
  assert.equal(mapped.body.length, 236);
  for (const n of ['ipv6-in-sdp', 'mult-ip-in-sdp', 'ipv6-bug-abnf-3-colons', 'ipv6-correct-abnf-2-colons']) touchAll(ok('rfc5118/' + n));
  assert.equal(sipUri(ok('rfc5118/ipv6-bug-abnf-3-colons').uri()).host, '2001:db8:::192.0.2.1');
});
