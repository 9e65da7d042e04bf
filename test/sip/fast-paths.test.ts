// The parser's fast paths against straightforward reference implementations (the code they replaced),
// on hand-picked edge cases and on random strings over the characters that matter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lookupName, matchKnownName } from '../../src/sip/header-names.js';
import { classifyHost, isIPv6 } from '../../src/sip/host.js';
import { parseUri, parseUriAt } from '../../src/sip/uri.js';
import { parseNameAddr, parseNameAddrAt } from '../../src/sip/name-addr.js';
import { parseVia, parseViaList, type Via } from '../../src/sip/headers/via.js';
import { parseContact, parseContactList, type Contact } from '../../src/sip/headers/contact.js';
import { SipParseError } from '../../src/sip/errors.js';
import { codesOf } from '../../src/sip/codes.js';
import { CHARS, commonParamName, isEscapedText, lowerCase, quotedEnd, scanEscaped, scanQuoted, upperCaseToken } from '../../src/sip/scan.js';
import { parseMessage } from '../../src/sip/parser.js';
import { SipMessage } from '../../src/sip/message.js';
import { createResponse, type ResponseOptions } from '../../src/sip/builder.js';

const RUNS = Number(process.env.FUZZ_TEST_RUNS ?? 2000);

/** Random strings over a small alphabet, so that delimiters and edge cases come up often. */
const over = (chars: string, maxLength = 24): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...chars.split('')), { maxLength }).map((a) => a.join(''));

test('matchKnownName: every spelling of every known name, and what it returns for others', () => {
  const names = ['Via', 'via', 'VIA', 'vIa', 'Call-ID', 'call-id', 'CALL-ID', 'Call-Id', 'CSeq', 'cseq', 'Cseq',
    'Content-Length', 'content-length', 'WWW-Authenticate', 'Www-Authenticate', 'SIP-ETag', 'Sip-Etag', 'i', 'I',
    'm', 'M', 'l', 'v', 'f', 't', 'X-Custom', 'Vi', 'Viax', 'Via\r', 'Call\rID', 'Call-I\r', 'z', 'Z'];
  for (const raw of names) {
    const text = `junk${raw}: value`;
    const m = matchKnownName(text, codesOf(text), 4, 4 + raw.length);
    if (m === undefined) {
      assert.equal(lookupName(raw).known, false, raw);
      continue;
    }
    assert.equal(m.rawName, raw);
    assert.deepEqual(m.info, lookupName(raw));
    assert.equal(m.info.name, m.info.name.toLowerCase());
  }
  // A CR where a known name has `-` must not match: `| 0x20` folding turns CR into `-`.
  assert.equal(matchKnownName('Call\rID', codesOf('Call\rID'), 0, 7), undefined);
});

test('matchKnownName agrees with the canonical lower-casing on random names', () => {
  fc.assert(
    fc.property(over('viaVIA-cCsSeqQtTofFrRmMlLdDxX\r'), (raw) => {
      const m = matchKnownName(raw, codesOf(raw), 0, raw.length);
      if (m !== undefined) {
        assert.equal(m.rawName, raw);
        assert.equal(m.info.name, raw.length === 1 ? m.info.name : raw.toLowerCase());
        assert.equal(m.info.known, true);
      }
    }),
    { numRuns: RUNS },
  );
});

test('scanEscaped ends where isEscapedText stops holding', () => {
  fc.assert(
    fc.property(over('aZ9%4fG;:=?@&-_ '), fc.constantFrom(CHARS.USER, CHARS.PARAM, CHARS.PASSWORD), (s, bit) => {
      const b = codesOf(s);
      const end = scanEscaped(b, 0, s.length, bit);
      assert.equal(isEscapedText(b, 0, end, bit), true);
      if (end < s.length) {
        // The run cannot be extended past `end` by any longer valid prefix.
        for (let k = end + 1; k <= s.length; k++) assert.equal(isEscapedText(b, 0, k, bit), false);
      }
    }),
    { numRuns: RUNS },
  );
});

/** The character loop scanQuoted had before its native fast path. */
function scanQuotedReference(s: string, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 92) j++;
    else if (c === 34) return j + 1;
  }
  return -1;
}

test('scanQuoted and quotedEnd, with and without quoted-pairs, match the character loop', () => {
  fc.assert(
    fc.property(over('a"\\ ,;\u00e9'), fc.nat(30), (body, cut) => {
      const s = '"' + body;
      const end = Math.min(s.length, 1 + cut);
      assert.equal(scanQuoted(s, 0, end), scanQuotedReference(s, 0, end));
      assert.equal(scanQuoted(s, 0), scanQuotedReference(s, 0, s.length));
      assert.equal(quotedEnd(codesOf(s), 0, end), scanQuotedReference(s, 0, end));
    }),
    { numRuns: RUNS },
  );
});

test('lowerCase and upperCaseToken equal toLowerCase and toUpperCase', () => {
  fc.assert(
    fc.property(over('aAzZ09-.!%*_+`\'~É'), (s) => {
      assert.equal(lowerCase(s), s.toLowerCase());
      if (!s.includes('É')) assert.equal(upperCaseToken(s), s.toUpperCase());
    }),
    { numRuns: RUNS },
  );
});

/** classifyHost as it was before the one-pass hostname scan. */
function classifyHostReference(s: string): string | undefined {
  if (/^\d/.test(s.slice(-1)) && /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) &&
    s.split('.').every((p) => Number(p) <= 255)) return 'ipv4';
  if (s.includes(':')) return isIPv6(s) ? 'ipv6' : undefined;
  if (s.length === 0 || !/^[A-Za-z0-9\-_.]+$/.test(s) || s.split('.').slice(0, -1).some((l) => l.length === 0)) return undefined;
  const last = s.slice(s.lastIndexOf('.') + 1);
  return /^\d+$/.test(last) ? undefined : 'domain';
}

test('classifyHost: domains, IPv4 and broken IPv4 as before', () => {
  for (const h of ['example.com', 'example.com.', 'a..b', '.a', 'localhost', '12345', '1.2.3', '1.2.3.4', '1.2.3.256', '1.2.3.4.', '::1', '2001:db8::1', 'a:b', 'a b:1', '1..2',
    'a.1', 'a.1b', 'host_1.example', 'x-y.z', '', 'a b', '1.2.3.4.']) {
    assert.equal(classifyHost(h), classifyHostReference(h), h);
  }
  fc.assert(
    fc.property(over('ab19.-_ :\u00e9'), (h) => assert.equal(classifyHost(h), classifyHostReference(h), h)),
    { numRuns: RUNS },
  );
});

test('parseUri: the sip/sips scheme fast path equals the general scheme parse', () => {
  for (const scheme of ['sip', 'SIP', 'Sip', 'sips', 'SIPS', 'sIpS']) {
    const u = parseUri(`${scheme}:alice@example.com;Transport=TCP`);
    assert.equal(u.scheme, scheme.toLowerCase());
  }
  // Parsed URIs build their params Map when it is read (a getter): compare plain copies with it.
  const plain = (u: ReturnType<typeof parseUri>) => ({ ...u, params: 'params' in u ? u.params : undefined });
  assert.deepEqual(plain(parseUri('SIPS:alice@example.com;lr')), plain(parseUri('sips:alice@example.com;lr')));
  for (const text of ['sip', 'sips', 'sip;x', ':a']) {
    assert.throws(() => parseUri(text), /missing scheme/, text);
  }
  assert.equal(parseUri('si:a').scheme, 'si');
  assert.equal(parseUri('sipx:a').scheme, 'sipx');
  assert.equal(parseUri('SIPSX:a').scheme, 'sipsx');
});

/**
 * A parse result as plain data, with the params Maps that parsed URIs, Vias and name-addrs build
 * only when read (a getter, which deepEqual does not see): building them reads the range again.
 */
function plain(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || v instanceof Map || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = plain(x);
  if ('params' in v) out.params = (v as { params: unknown }).params;
  return out;
}

/** The result of f, or the reason of the SipParseError it threw, for comparing two parses. */
function outcome(f: () => unknown): unknown {
  try {
    return { ok: plain(f()) };
  } catch (err) {
    if (!(err instanceof SipParseError)) throw err;
    return { error: err.reason };
  }
}

/**
 * Typed headers are parsed in place in the message text, text[start, end). Surrounded by any text
 * (here delimiters that would change the parse if read), the result must equal the parse of the
 * value alone: nothing outside the range is read.
 */
function inPlaceEqualsAlone(values: fc.Arbitrary<string>, alone: (v: string) => unknown, inPlace: (t: string, s: number, e: number) => unknown): void {
  const around = over('<>":;,?@[]=& \t\\0a\u00e9\u013c', 6);
  fc.assert(
    fc.property(around, values, around, (before, value, after) => {
      const text = before + value + after;
      const start = before.length;
      assert.deepEqual(outcome(() => inPlace(text, start, start + value.length)), outcome(() => alone(value)), JSON.stringify(text));
    }),
    { numRuns: RUNS },
  );
}

const URI_CHARS = 'sipSIPtel:+1@a.b9[]:;=?&%2f"<> ,\t-_\u013c\u00e9';

/** Mostly well-formed values: syntax pieces in random order, so that parses get far before failing. */
const pieces = (list: string[], maxLength = 8): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...list), { maxLength }).map((a) => a.join(''));

const URI_PIECES = ['sip:', 'sips:', 'tel:', 'alice', ':pw', '@', 'example.com', '192.0.2.1', '[2001:db8::1]', ':5060', ';transport=udp',
  ';lr', '?subject=x', '&h=1', '+1-555', ';x=', ':'];

test('parseUriAt on a range equals parseUri on the slice', () => {
  for (const v of ['sip:alice@example.com:5060;transport=udp?subject=x', 'sips:[2001:db8::1]:5061;lr', 'tel:+1-555;phone-context=x',
    'urn:service:sos', 'sip', 'sip:', 'sips:', 'sip:a@', 'sip:[::1', 'sip:2001:db8::1', 'sip:a;x=', '']) {
    const t = `<${v}>;x`;
    assert.deepEqual(outcome(() => parseUriAt(t, codesOf(t), 1, 1 + v.length)), outcome(() => parseUri(v)), v);
  }
  const uriAt = (t: string, s: number, e: number): unknown => parseUriAt(t, codesOf(t), s, e);
  inPlaceEqualsAlone(over(URI_CHARS, 40), parseUri, uriAt);
  inPlaceEqualsAlone(pieces(URI_PIECES), parseUri, uriAt);
  const sipUris = fc.tuple(fc.constantFrom('sip:', 'sips:', 'SIP:', 'tel:', 'sip'), fc.constantFrom('', 'alice@', 'a:pw@', '@'),
    fc.constantFrom('example.com', '192.0.2.1', '[2001:db8::1]', '2001:db8::1', ''), pieces(URI_PIECES, 3)).map((p) => p.join(''));
  inPlaceEqualsAlone(sipUris, parseUri, uriAt);
});

test('parseNameAddrAt on a range equals parseNameAddr on the slice', () => {
  for (const v of ['"Alice" <sip:alice@example.com>;tag=1', 'Bob <sip:b@c>', 'sip:a@b;tag=x', '"unterminated <sip:a@b>',
    '"A" ', 'A B', '<sip:a@b', '< sip:a@b>', '<>', 'sip:a@b?x=y', '<sip:a@b>;tag', '  ', '']) {
    const t = `x${v}>;"`;
    assert.deepEqual(outcome(() => parseNameAddrAt(t, codesOf(t), 1, 1 + v.length, 'To')), outcome(() => parseNameAddr(v, 'To')), v);
  }
  const alone = (v: string): unknown => parseNameAddr(v, 'From');
  const inPlace = (t: string, s: number, e: number): unknown => parseNameAddrAt(t, codesOf(t), s, e, 'From');
  inPlaceEqualsAlone(over('"A\\ b" <sip:a@b.c>;tag=x ,\u013c\u00e9', 40), alone, inPlace);
  inPlaceEqualsAlone(pieces(['"Alice"', 'Bob', ' ', '<', '>', ...URI_PIECES, ';tag=1', ';tag', ' ;x', '"'], 10), alone, inPlace);
});

/** parseViaList on a standalone value. */
function viasAlone(v: string): Via[] {
  const out: Via[] = [];
  parseViaList(v, codesOf(v), 0, v.length, out);
  return out;
}

test('parseViaList on a range equals parsing the value alone', () => {
  for (const v of ['SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport', 'SIP/2.0/TCP [2001:db8::1];received=[2001:db8::2]',
    'SIP/2.0/UDP a, SIP/2.0/TCP b:1', 'SIP/2.0/UDP', 'SIP/2.0/UDP ', 'SIP/2.0 /UDP a', 'SIP/2.0/UDP [::1', 'SIP/2.0/UDP a :', '']) {
    if (!v.includes(',')) assert.deepEqual(outcome(() => viasAlone(v)), outcome(() => [parseVia(v)]), v);
    const out: Via[] = [];
    const t = `,${v};x`;
    assert.deepEqual(outcome(() => { parseViaList(t, codesOf(t), 1, 1 + v.length, out); return out; }), outcome(() => viasAlone(v)), v);
  }
  const viaPieces = fc.tuple(
    fc.constantFrom('SIP/2.0/UDP ', 'SIP / 2.0 / tcp ', 'SIP/2.0/UDP', 'SIP/2.0/UDP  '),
    fc.constantFrom('host.example', '1.2.3.4', '[::1]', '[::1', ''),
    pieces([' : 5060', ':5060', ':', ';branch=z9', ';rport', ';rport=1', ';received=[::2]', ' ', ',', 'SIP/2.0/UDP a'], 4),
  ).map((p) => p.join(''));
  inPlaceEqualsAlone(fc.oneof(over('SIP/2.0/UDP 1.2.3.4:5;branch=z;rport ,[]:', 40), viaPieces), viasAlone, (t, s, e) => {
    const out: Via[] = [];
    parseViaList(t, codesOf(t), s, e, out);
    return out;
  });
});

test('parseContactList on a range equals parsing the value alone', () => {
  const alone = (v: string): Contact[] | boolean => {
    const out: Contact[] = [];
    return parseContactList(v, codesOf(v), 0, v.length, out) || out;
  };
  const inPlace = (t: string, s: number, e: number): Contact[] | boolean => {
    const out: Contact[] = [];
    return parseContactList(t, codesOf(t), s, e, out) || out;
  };
  for (const v of ['*', ' * ', '<sip:a@b>;expires=60;q=0.5', '<sip:a@b>, <sip:c@d>', '*,', '']) {
    assert.deepEqual(outcome(() => inPlace(`*${v}*`, 1, 1 + v.length)), outcome(() => alone(v)), v);
  }
  assert.deepEqual(alone('<sip:a@b>;expires=60'), [parseContact('<sip:a@b>;expires=60')]);
  inPlaceEqualsAlone(pieces(['<sip:a@b>', 'sip:a@b', ';expires=6', ';q=1', ';reg-id=1', ' ', '*', ',', '"A"', '<', '>'], 8), alone, inPlace);
});

test('commonParamName returns the lower-cased name for common names in any case, nothing for others', () => {
  for (const name of ['tag', 'TAG', 'Branch', 'rport', 'RPort', 'received', 'maddr', 'ttl', 'Expires', 'q', 'Q', 'reg-id',
    'REG-ID', '+sip.instance', '+SIP.Instance', 'methods', 'transport', 'Transport', 'lr', 'LR', 'user', 'method', 'ob', 'gr']) {
    assert.equal(commonParamName(codesOf(`;${name}=`), 1, 1 + name.length), name.toLowerCase(), name);
  }
  // `| 0x20` folding must not turn `-` (0x2d) into CR-like neighbours or `[` into `{`.
  for (const name of ['reg\rid', 'tagx', 'ta', 'x', '', 'reg_id', 'tAg\u0130', '+sip.instanc', '\u212Aq']) {
    assert.equal(commonParamName(codesOf(name), 0, name.length), undefined, JSON.stringify(name));
  }
  fc.assert(
    fc.property(over('tagTAGbrnchBRNCHqQ-rReEgGiIdD+.sSpP\r[{'), (s) => {
      const m = commonParamName(codesOf(s), 0, s.length);
      if (m !== undefined) assert.equal(m, s.toLowerCase());
    }),
    { numRuns: RUNS },
  );
});

/** What a parse yields, in terms an application sees: start line, fields, body, typed values or errors. */
function observed(data: Buffer): unknown {
  const m = parseMessage(data);
  const msg = m instanceof SipParseError ? m.partial : m;
  const seen: Record<string, unknown> = m instanceof SipParseError ? { error: [m.status, m.reason] } : {};
  if (msg === undefined) return seen;
  seen.start = [msg.kind, msg.method, msg.requestUri, msg.status, msg.reason, msg.binaryHeaders];
  seen.fields = msg.headerFields().map((f) => [f.name, f.rawName, f.value, f.raw]);
  seen.body = msg.body.toString('latin1');
  for (const get of [() => msg.via(), () => msg.from(), () => msg.to(), () => msg.callId(), () => msg.cseq(),
    () => msg.contacts(), () => msg.expires(), () => msg.contentLength(), () => msg.uri()]) {
    seen[Object.keys(seen).length] = outcome(get);
  }
  return seen;
}

test('parseMessage: the whole-text path for ASCII messages equals the general path', () => {
  const lines = fc.array(fc.constantFrom('Via: SIP/2.0/UDP a.b;branch=z9hG4bK1', 'v: SIP/2.0/TCP 1.2.3.4:5', 'From: <sip:a@b>;tag=1',
    'To: "\u00e9" <sip:b@c>', 'Call-ID: x@y', 'CSeq: 1 REGISTER', 'Contact: <sip:a@1.2.3.4>;expires=60', 'Content-Length: 4',
    'l: 0', 'X-Custom:  raw\tvalue ', ' folded', 'bad line', 'Expires: 5\r', '', 'Max-Forwards: 70'), { maxLength: 10 });
  const messages = fc.tuple(fc.constantFrom('REGISTER sip:example.com SIP/2.0', 'SIP/2.0 200 OK', 'INVITE sip:a@b SIP/3.0', 'x'),
    lines, fc.constantFrom('\r\n', '\n', '\r\n\r\n'), fc.constantFrom('', 'body', '\u00ff\u00fe', 'a\r\n\r\nb'), fc.boolean())
    .map(([start, hs, eol, body, latin1]) => Buffer.from([start, ...hs].join(eol) + eol + eol + body, latin1 ? 'latin1' : 'utf8'));
  fc.assert(
    fc.property(messages, (data) => {
      // A CRLF before the start line is ignored (RFC 3261 7.5) and sends the message down the general path.
      assert.deepEqual(observed(data), observed(Buffer.concat([Buffer.from('\r\n'), data])));
    }),
    { numRuns: RUNS },
  );
});

/** createResponse as it was: the generic message builder, header by header (RFC 3261 8.2.6.2). */
function referenceResponse(request: SipMessage, status: number, reason: string, options: ResponseOptions): SipMessage {
  const headers: Array<[string, string]> = [];
  for (const f of request.headerFields()) if (f.name === 'via') headers.push(['Via', f.value]);
  for (const f of request.headerFields()) if (f.name === 'from') headers.push(['From', f.value]);
  let tagged = true;
  try {
    tagged = request.to().tag !== undefined;
  } catch {
    // a To that cannot be parsed gets no tag
  }
  const addTag = status > 100 && !tagged;
  for (const f of request.headerFields()) {
    if (f.name === 'to') headers.push(['To', addTag ? `${f.value};tag=${options.toTag}` : f.value]);
  }
  for (const f of request.headerFields()) if (f.name === 'call-id') headers.push(['Call-ID', f.value]);
  for (const f of request.headerFields()) if (f.name === 'cseq') headers.push(['CSeq', f.value]);
  const msg = SipMessage.response({ status, reason, headers });
  for (const [name, value] of options.headers ?? []) msg.addHeader(name, value);
  if (options.body !== undefined) msg.body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
  if (options.contentType !== undefined) msg.setHeader('Content-Type', options.contentType);
  msg.setHeader('Content-Length', String(msg.body.length));
  return msg;
}

test('createResponse builds the same response as the generic builder: headers, order, tag, bytes', () => {
  const requests = [
    ['REGISTER sip:example.com SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776;rport, SIP/2.0/TCP p.example.com;branch=z9hG4bK2',
      'Max-Forwards: 70', 'To: <sip:alice@example.com>', 'v: SIP/2.0/UDP third.example.com;branch=z9hG4bK3',
      'f: "Alice" <sip:alice@example.com>;tag=1928', 'i: abc@pc33', 'CSeq: 1 REGISTER', 'm: <sip:alice@192.0.2.10>', 'l: 0', '', ''],
    ['MESSAGE sip:bob@example.com SIP/2.0', 'VIA:   SIP/2.0/UDP h;branch=z9hG4bKx  ', 'to: Bob <sip:bob@example.com>;tag=abc',
      'FROM: <sip:a@example.com>;tag=9', 'call-id: 77', 'cseq: 4 MESSAGE', 'Content-Length: 2', '', 'hi'],
    // Two To headers: to() cannot tell the tag, so none is added (as before).
    ['OPTIONS sip:x@y SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bKo', 'To: <sip:x@y>', 't: <sip:z@y>', 'From: <sip:c@d>;tag=1',
      'Call-ID: 9', 'CSeq: 1 OPTIONS', '', ''],
    // Latin-1 header text (not UTF-8).
    [Buffer.from('NOTIFY sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKn\r\nTo: "\xe9" <sip:x@y>\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: 9\r\nCSeq: 1 NOTIFY\r\n\r\n', 'latin1')],
  ];
  const optionSets: ResponseOptions[] = [
    {},
    { headers: [['Contact', '<sip:a@b>;expires=60'], ['Contact', '<sip:c@d>'], ['Date', 'Sat, 13 Nov 2010 23:29:00 GMT'], ['Server', 's']] },
    { headers: [['Contact', '<sip:a@b>'], ['Date', 'x'], ['Contact', '<sip:c@d>'], ['Via', 'SIP/2.0/UDP extra'], ['x-odd', '  v  ']] },
    { headers: [['Content-Length', '99'], ['Server', 's']], body: 'hello' },
    { body: Buffer.from('é'), contentType: 'text/plain' },
    { headers: [['Content-Type', 'a/b'], ['Warning', '399 x "y"']], contentType: 'text/plain', body: 'xy' },
  ];
  for (const lines of requests) {
    const data = lines.length === 1 && Buffer.isBuffer(lines[0]) ? lines[0] : Buffer.from((lines as string[]).join('\r\n'));
    const req = parseMessage(data);
    assert.ok(req instanceof SipMessage);
    for (const built of [req, SipMessage.request({ method: 'INFO', requestUri: 'sip:a@b', headers: req.headerFields().map((f) => [f.rawName, f.value]) })]) {
      for (const status of [100, 180, 200, 404]) {
        for (const base of optionSets) {
          const options = { ...base, toTag: 'fixed' };
          const got = createResponse(built, status, 'Why', options);
          const want = referenceResponse(built, status, 'Why', options);
          assert.deepEqual(got.headerFields().map((f) => [f.name, f.rawName, f.value]), want.headerFields().map((f) => [f.name, f.rawName, f.value]));
          assert.deepEqual(got.toBuffer(), want.toBuffer());
          assert.deepEqual(got.body, want.body);
          // Typed access reads the copied fields in place.
          assert.deepEqual(got.via(), want.via());
          assert.deepEqual(got.cseq(), want.cseq());
        }
      }
    }
  }
  const req = parseMessage(Buffer.from((requests[0] as string[]).join('\r\n')));
  assert.ok(req instanceof SipMessage);
  // Without a tag from the caller the response gets a fresh one, once.
  const a = createResponse(req, 200);
  assert.match(a.to().tag ?? '', /^[0-9a-f]{16}$/);
  assert.notEqual(a.to().tag, createResponse(req, 200).to().tag);
  assert.equal(a.toBuffer().toString(), referenceResponse(req, 200, 'OK', { toTag: a.to().tag }).toBuffer().toString());
  // What the caller adds is still checked.
  assert.throws(() => createResponse(req, 200, 'OK', { headers: [['X-Bad', 'a\r\nInjected: 1']] }), RangeError);
  assert.throws(() => createResponse(req, 200, 'OK', { toTag: 'a\r\nInjected: 1' }), RangeError);
});
