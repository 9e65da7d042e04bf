import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipParseError } from '../../src/sip/errors.js';
import { formatHostPort, formatUri, parseUri, type SipUri, type TelUri } from '../../src/sip/uri.js';
import { uriEquals } from '../../src/sip/uri-equals.js';

const sip = (t: string): SipUri => parseUri(t) as SipUri;

test('SIP URI parts: user, password, host kinds, port, params, headers', () => {
  const u = sip('sips:alice:secret@Example.COM:5061;transport=tls;lr;maddr=[2001:db8::1]?subject=hi&x=%20y');
  assert.equal(u.scheme, 'sips');
  assert.equal(u.user, 'alice');
  assert.equal(u.password, 'secret');
  assert.equal(u.host, 'Example.COM');
  assert.equal(u.hostKind, 'domain');
  assert.equal(u.port, 5061);
  assert.deepEqual([...u.params], [['transport', 'tls'], ['lr', null], ['maddr', '[2001:db8::1]']]);
  assert.deepEqual(u.headers, [['subject', 'hi'], ['x', '%20y']]);
  assert.equal(sip('sip:192.0.2.1').hostKind, 'ipv4');
  const v6 = sip('sip:[2001:DB8::1]:5060');
  assert.deepEqual([v6.host, v6.hostKind, v6.port], ['2001:DB8::1', 'ipv6', 5060]);
  assert.equal(sip('SIP:a@b;TRANSPORT=UDP').params.get('transport'), 'UDP');
  assert.equal(sip('SIP:a@b').scheme, 'sip');
});

test('tel and other schemes', () => {
  const t = parseUri('tel:+1-201-555-0123;phone-context=example.com') as TelUri;
  assert.equal(t.scheme, 'tel');
  assert.equal(t.number, '+1-201-555-0123');
  assert.equal(t.params.get('phone-context'), 'example.com');
  assert.deepEqual(parseUri('urn:service:sos'), { scheme: 'urn', opaque: 'service:sos' });
  assert.deepEqual(parseUri('HTTP://x/y'), { scheme: 'http', opaque: '//x/y' });
});

test('malformed URIs throw SipParseError naming the defect', () => {
  for (const [text, re] of [
    ['nocolon', /missing scheme/], ['sip:', /bad host/], ['sip:a@', /bad host/], ['sip:@host', /user/],
    ['sip:host:99999', /port/], ['sip:host:12a', /port/], ['sip:[::1', /IPv6/], ['sip:2001:db8::1', /IPv6 address without/],
    ['sip:a b@host', /user/], ['sip:host;=x', /parameter/], ['sip:host?novalue', /header/], ['sip:a%zz@h', /user/],
    ['sip:300.1.1.1', /bad host/], ['sip:[1:2:3]', /bad host/], ['x:a b', /bad character/],
  ] as const) {
    assert.throws(() => parseUri(text), (e: unknown) => e instanceof SipParseError && e.status === 400 && re.test(e.reason), text);
  }
});

test('formatUri round-trips and brackets IPv6; formatHostPort', () => {
  for (const t of ['sip:alice@example.com', 'sips:a:b@[2001:db8::1]:5061;transport=tls?h=v', 'tel:+123;x=y', 'urn:a:b']) {
    assert.equal(formatUri(parseUri(t)), t);
  }
  assert.equal(formatHostPort('2001:db8::1', 5060), '[2001:db8::1]:5060');
  assert.equal(formatHostPort('192.0.2.1'), '192.0.2.1');
});

test('uriEquals follows RFC 3261 19.1.4', () => {
  const eq = (a: string, b: string): boolean => uriEquals(parseUri(a), parseUri(b));
  // RFC 3261 19.1.4 equivalent pairs
  assert.ok(eq('sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'));
  assert.ok(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'));
  assert.ok(eq('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;newparam=5'));
  assert.ok(eq('sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com'));
  assert.ok(eq('sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x'));
  // RFC 4475 esc01: escaped unreserved equals literal
  assert.ok(eq('sip:%75se%72@example.com', 'sip:user@example.com'));
  // One IPv6 address in two spellings (RFC 5952 2) is one host; another address is not.
  assert.ok(eq('sip:nina@[::1]:5070', 'sip:nina@[0:0:0:0:0:0:0:1]:5070'));
  assert.ok(eq('sip:nina@[2001:DB8::A]', 'sip:nina@[2001:db8:0:0:0:0:0:a]'));
  assert.ok(!eq('sip:nina@[::1]', 'sip:nina@[::2]'));
  // An IPv4-mapped host is the IPv4 address it carries (RFC 4291 2.5.5.2), in any spelling; no other IPv6 host is.
  assert.ok(eq('sip:dup@127.0.0.1:5070', 'sip:dup@[::ffff:127.0.0.1]:5070'));
  assert.ok(eq('sip:dup@[0:0:0:0:0:FFFF:7f00:1]:5070', 'sip:dup@127.0.0.1:5070'));
  assert.ok(eq('sip:dup@[::ffff:7f00:1]', 'sip:dup@[::FFFF:127.0.0.1]'));
  assert.ok(!eq('sip:dup@[::ffff:127.0.0.2]', 'sip:dup@127.0.0.1'));
  assert.ok(!eq('sip:dup@[::127.0.0.1]', 'sip:dup@127.0.0.1'));
  assert.ok(!eq('sip:dup@[64:ff9b::7f00:1]', 'sip:dup@127.0.0.1'));
  // not equivalent
  assert.ok(!eq('SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'));
  assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'));
  assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'));
  assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com;user=phone'));
  assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com;maddr=x'));
  assert.ok(!eq('sip:bob@biloxi.com;ttl=1', 'sip:bob@biloxi.com'));
  assert.ok(!eq('sip:bob@biloxi.com;method=INVITE', 'sip:bob@biloxi.com'));
  assert.ok(!eq('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'));
  assert.ok(!eq('sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'));
  assert.ok(!eq('sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'));
  assert.ok(!eq('sip:a@x', 'sips:a@x'));
  // escaped reserved characters are not equal to their literal; one unescaping only
  assert.ok(!eq('sip:sips%3Auser%40example.com@example.net', 'sip:sips:user%40example.com@example.net'));
  assert.ok(eq('sip:a%3a@x', 'sip:a%3A@x'));
  assert.ok(!eq('sip:h;n=value%2541', 'sip:h;n=valueA'));
  assert.ok(eq('sip:h;n=v%61lue%25%34%31', 'sip:h;n=value%2541'));
  assert.ok(eq('tel:+1-201-555-0123', 'tel:+12015550123'));
  assert.ok(!eq('tel:+1', 'sip:+1@x'));
  assert.ok(eq('urn:a', 'URN:a'));
});
