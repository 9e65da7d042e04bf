// The parser's fast paths against straightforward reference implementations (the code they replaced),
// on hand-picked edge cases and on random strings over the characters that matter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lookupName, matchKnownName } from '../../src/sip/header-names.js';
import { classifyHost } from '../../src/sip/host.js';
import { parseUri } from '../../src/sip/uri.js';
import { CHARS, isEscapedText, lowerCase, scanEscaped, scanQuoted, upperCaseToken } from '../../src/sip/scan.js';

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
    const m = matchKnownName(text, 4, 4 + raw.length);
    if (m === undefined) {
      assert.equal(lookupName(raw).known, false, raw);
      continue;
    }
    assert.equal(m.rawName, raw);
    assert.deepEqual(m.info, lookupName(raw));
    assert.equal(m.info.name, m.info.name.toLowerCase());
  }
  // A CR where a known name has `-` must not match: `| 0x20` folding turns CR into `-`.
  assert.equal(matchKnownName('Call\rID', 0, 7), undefined);
});

test('matchKnownName agrees with the canonical lower-casing on random names', () => {
  fc.assert(
    fc.property(over('viaVIA-cCsSeqQtTofFrRmMlLdDxX\r'), (raw) => {
      const m = matchKnownName(raw, 0, raw.length);
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
      const end = scanEscaped(s, 0, s.length, bit);
      assert.equal(isEscapedText(s, 0, end, bit), true);
      if (end < s.length) {
        // The run cannot be extended past `end` by any longer valid prefix.
        for (let k = end + 1; k <= s.length; k++) assert.equal(isEscapedText(s, 0, k, bit), false);
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

test('scanQuoted with and without quoted-pairs matches the character loop', () => {
  fc.assert(
    fc.property(over('a"\\ ,;'), fc.nat(30), (body, cut) => {
      const s = '"' + body;
      const end = Math.min(s.length, 1 + cut);
      assert.equal(scanQuoted(s, 0, end), scanQuotedReference(s, 0, end));
      assert.equal(scanQuoted(s, 0), scanQuotedReference(s, 0, s.length));
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
  if (s.includes(':')) return classifyHost(s);
  if (s.length === 0 || !/^[A-Za-z0-9\-_.]+$/.test(s) || s.split('.').slice(0, -1).some((l) => l.length === 0)) return undefined;
  const last = s.slice(s.lastIndexOf('.') + 1);
  return /^\d+$/.test(last) ? undefined : 'domain';
}

test('classifyHost: domains, IPv4 and broken IPv4 as before', () => {
  for (const h of ['example.com', 'example.com.', 'a..b', '.a', 'localhost', '12345', '1.2.3', '1.2.3.4', '1.2.3.256',
    'a.1', 'a.1b', 'host_1.example', 'x-y.z', '', 'a b', '1.2.3.4.']) {
    assert.equal(classifyHost(h), classifyHostReference(h), h);
  }
  fc.assert(
    fc.property(over('ab19.-_ '), (h) => assert.equal(classifyHost(h), classifyHostReference(h), h)),
    { numRuns: RUNS },
  );
});

test('parseUri: the sip/sips scheme fast path equals the general scheme parse', () => {
  for (const scheme of ['sip', 'SIP', 'Sip', 'sips', 'SIPS', 'sIpS']) {
    const u = parseUri(`${scheme}:alice@example.com;Transport=TCP`);
    assert.equal(u.scheme, scheme.toLowerCase());
  }
  assert.deepEqual(parseUri('SIPS:alice@example.com'), { ...parseUri('sips:alice@example.com') });
  for (const text of ['sip', 'sips', 'sip;x', ':a']) {
    assert.throws(() => parseUri(text), /missing scheme/, text);
  }
  assert.equal(parseUri('si:a').scheme, 'si');
  assert.equal(parseUri('sipx:a').scheme, 'sipx');
  assert.equal(parseUri('SIPSX:a').scheme, 'sipsx');
});
