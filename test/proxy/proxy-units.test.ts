// The proxy's pure pieces: 16.4 route preprocessing and strict routes, Record-Route (RFC 5658 double
// entries), Request-URI from a contact (escaped headers stripped, RFC 4475 regescrt), 16.7 response
// choice, loop detection (16.3 step 4), the relay policy, RFC 3263 resolution with a fake DNS, and
// the removal of our Via from responses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../src/sip/parser.js';
import type { SipMessage } from '../../src/sip/message.js';
import { isSipUri, parseUri, type SipUri, type Uri } from '../../src/sip/uri.js';
import { DnsResolver } from '../../src/proxy/dns-resolver.js';
import type { DnsLookup } from '../../src/transport/locate.js';
import { branchFor, forwardCopy, isLoop, loopHash } from '../../src/proxy/forward-request.js';
import { DIALOG_TOKEN_PARAM, DialogRouteToken } from '../../src/proxy/dialog-route-token.js';
import { nextHopByRoute, preprocessRoute } from '../../src/proxy/loose-route.js';
import { createsDialog, recordRouteValues } from '../../src/proxy/record-route.js';
import { relayDecision } from '../../src/proxy/relay-policy.js';
import { ResponseContext, type Answer } from '../../src/proxy/response-context.js';
import { removeTopVia } from '../../src/proxy/response-via.js';
import { requestUriOf } from '../../src/proxy/target-set.js';

function msg(lines: string[], body = ''): SipMessage {
  const m = parseMessage(Buffer.from(`${lines.join('\r\n')}\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
  if (!('kind' in m)) throw m;
  return m;
}

const request = (uri: string, extra: string[] = [], method = 'MESSAGE'): SipMessage => msg([
  `${method} ${uri} SIP/2.0`, 'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa', 'Max-Forwards: 70',
  'From: <sip:alice@example.com>;tag=1', 'To: <sip:bob@example.com>', 'Call-ID: c1', `CSeq: 1 ${method}`, ...extra,
]);

const own = (u: Uri): boolean => isSipUri(u) && u.host === 'proxy.example.com' && (u.port === undefined || u.port === 5060);

test('16.4: our Route entries at the top are removed (preloaded or double Record-Route)', () => {
  const r = request('sip:bob@example.com', ['Route: <sip:proxy.example.com;lr>, <sip:proxy.example.com:5060;transport=tcp;lr>', 'Route: <sip:next.example.net;lr>']);
  assert.deepEqual(preprocessRoute(r, own), { viaOurRecordRoute: false });
  assert.deepEqual(r.rawValues('route'), ['<sip:next.example.net;lr>']);
  const none = request('sip:bob@example.com', ['Route: <sip:next.example.net;lr>']);
  assert.deepEqual(preprocessRoute(none, own), { viaOurRecordRoute: false });
  assert.deepEqual(none.rawValues('route'), ['<sip:next.example.net;lr>'], 'no Route of ours: nothing removed');
});

test('our Record-Route is signed for its dialog: only that token, for that Call-ID, proves a route set we recorded', () => {
  const tokens = new DialogRouteToken(Buffer.alloc(32, 7));
  const signed = (uri: SipUri, r: SipMessage): boolean => tokens.verify(r.callId(), uri.params.get(DIALOG_TOKEN_PARAM));
  const hop = { protocol: 'udp' as const, host: 'proxy.example.com', port: 5060 };
  const [rr] = recordRouteValues(hop, hop, tokens.sign('c1'));
  assert.match(rr, /^<sip:proxy\.example\.com:5060;lr;ss-dlg=[\w-]{16}>$/);
  const follows = request('sip:bob@192.0.2.9', [`Route: ${rr}`]);
  assert.deepEqual(preprocessRoute(follows, own, signed), { viaOurRecordRoute: true });
  assert.equal(follows.hasHeader('route'), false, 'our Route entry was removed');
  // The same Route in another dialog, a made-up token, or none (a preloaded route): no proof.
  const otherDialog = msg(['MESSAGE sip:bob@192.0.2.9 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa', 'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=1', 'To: <sip:bob@example.com>;tag=2', 'Call-ID: c2', 'CSeq: 1 MESSAGE', `Route: ${rr}`]);
  assert.equal(preprocessRoute(otherDialog, own, signed).viaOurRecordRoute, false);
  assert.equal(preprocessRoute(request('sip:bob@192.0.2.9', ['Route: <sip:proxy.example.com;lr;ss-dlg=AAAAAAAAAAAAAAAA>']), own, signed).viaOurRecordRoute, false);
  assert.equal(preprocessRoute(request('sip:bob@192.0.2.9', ['Route: <sip:proxy.example.com;lr>']), own, signed).viaOurRecordRoute, false);
  // A strict router before us put our Record-Route URI into the Request-URI.
  const strict = request(rr.slice(1, -1), ['Route: <sip:bob@192.0.2.9>']);
  assert.equal(preprocessRoute(strict, own, signed).viaOurRecordRoute, true);
});

test('16.4: a Request-URI that is our Record-Route (strict router before us) takes the last Route back', () => {
  const r = request('sip:proxy.example.com;lr', ['Route: <sip:next.example.net;lr>', 'Route: <sip:bob@192.0.2.9:5070>']);
  preprocessRoute(r, own);
  assert.equal(r.requestUri, 'sip:bob@192.0.2.9:5070');
  assert.deepEqual(r.rawValues('route'), ['<sip:next.example.net;lr>']);
});

test('16.6 steps 6-7: loose next hop keeps the Request-URI; a strict one takes its place', () => {
  const loose = request('sip:bob@192.0.2.9', ['Route: <sip:next.example.net;lr>']);
  assert.equal(nextHopByRoute(loose)?.host, 'next.example.net');
  assert.equal(loose.requestUri, 'sip:bob@192.0.2.9');
  const strict = request('sip:bob@192.0.2.9', ['Route: <sip:old.example.net>', 'Route: <sip:other.example.net;lr>']);
  assert.equal(nextHopByRoute(strict)?.host, 'old.example.net');
  assert.equal(strict.requestUri, 'sip:old.example.net');
  assert.deepEqual(strict.route().map((r) => (r.uri as SipUri).host), ['other.example.net', '192.0.2.9']);
});

test('Record-Route: only dialog-creating requests; two entries when transport or address changes (RFC 5658)', () => {
  assert.equal(createsDialog('INVITE', false), true);
  assert.equal(createsDialog('SUBSCRIBE', false), true);
  assert.equal(createsDialog('INVITE', true), false);
  assert.equal(createsDialog('MESSAGE', false), false);
  const udp4 = { protocol: 'udp' as const, host: '192.0.2.1', port: 5060 };
  const tcp6 = { protocol: 'tcp' as const, host: '2001:db8::1', port: 5060 };
  assert.deepEqual(recordRouteValues(udp4, udp4), ['<sip:192.0.2.1:5060;lr>']);
  assert.deepEqual(recordRouteValues(udp4, tcp6), ['<sip:[2001:db8::1]:5060;transport=tcp;lr>', '<sip:192.0.2.1:5060;lr>']);
});

test('16.6 step 2 / RFC 4475 regescrt: escaped headers and method are stripped from the contact', () => {
  assert.equal(requestUriOf('sip:user@192.0.2.5:5070;transport=tcp?Route=%3Csip:sip.example.com%3E'), 'sip:user@192.0.2.5:5070;transport=tcp');
  assert.equal(requestUriOf('sip:user@host;method=INVITE;lr'), 'sip:user@host;lr');
});

test('16.6: the copy has Max-Forwards - 1, our Via on top, Route then Record-Route; the original is untouched', () => {
  const r = request('sip:bob@example.com', [], 'INVITE');
  const copy = forwardCopy(r, { requestUri: 'sip:bob@192.0.2.9', routes: ['<sip:edge;lr>'], recordRoute: ['<sip:p;lr>'], via: 'SIP/2.0/UDP p:5060;branch=z9hG4bKx', ownsRealm: () => false });
  assert.equal(copy.maxForwards(), 69);
  assert.equal(copy.requestUri, 'sip:bob@192.0.2.9');
  assert.equal(copy.via()[0].host, 'p');
  assert.equal(copy.via().length, 2);
  assert.deepEqual(copy.rawValues('route'), ['<sip:edge;lr>']);
  assert.deepEqual(copy.rawValues('record-route'), ['<sip:p;lr>']);
  assert.equal(r.maxForwards(), 70);
  assert.equal(r.via().length, 1);
});

test('16.3 step 4: the same request back with our Via and hash is a loop; a changed one is a spiral', () => {
  const r = request('sip:bob@example.com');
  const hash = loopHash(r);
  const back = forwardCopy(r, { recordRoute: [], routes: [], via: `SIP/2.0/UDP proxy.example.com;branch=${branchFor(hash)}`, ownsRealm: () => false });
  const ours = (host: string): boolean => host === 'proxy.example.com';
  assert.equal(isLoop(back, () => loopHash(back), ours), true);
  back.requestUri = 'sip:bob@192.0.2.9';
  assert.equal(isLoop(back, () => loopHash(back), ours), false);
  assert.equal(isLoop(back, () => hash, () => false), false, 'a Via not of ours never counts');
});

test('16.7: 6xx beats everything, then the lowest class; a real response beats one we made up', () => {
  const finals: Answer[] = [];
  const run = (answers: Answer[]): Answer => {
    const ctx = new ResponseContext({ provisional: () => undefined, final: (a) => finals.push(a) }, false, () => undefined);
    for (let i = 0; i < answers.length; i++) ctx.add();
    ctx.seal();
    for (const a of answers) ctx.final(a, true);
    return finals[finals.length - 1];
  };
  const res = (status: number): Answer => ({ status, reason: 'x', response: request('sip:x@y') });
  assert.equal(run([res(486), res(603), res(302)]).status, 603);
  assert.equal(run([res(503), res(486), res(302)]).status, 302);
  assert.equal(run([{ status: 408, reason: 'made up' }, res(404)]).status, 404);
  assert.equal(run([{ status: 480, reason: 'no answer' }, { status: 408, reason: 'made up' }]).status, 408);
  let n = 0;
  const ctx = new ResponseContext({ provisional: () => undefined, final: () => { n++; } }, false, () => undefined);
  ctx.add(); ctx.add(); ctx.seal();
  ctx.final({ status: 200, reason: 'OK' }, true);
  ctx.final({ status: 200, reason: 'OK' }, true);
  assert.equal(n, 1, 'non-INVITE: exactly one final answer');
});

test('16.7 step 10: a 2xx to INVITE goes up at once and cancels the other branches', () => {
  let cancelled = 0;
  const got: number[] = [];
  const ctx = new ResponseContext({ provisional: () => undefined, final: (a) => got.push(a.status) }, true, () => { cancelled++; });
  ctx.add(); ctx.add(); ctx.seal();
  ctx.final({ status: 200, reason: 'OK' }, true);
  assert.deepEqual(got, [200]);
  assert.equal(cancelled, 1);
  ctx.final({ status: 487, reason: 'Request Terminated' }, true);
  assert.deepEqual(got, [200]);
});

test('relay policy: strangers 403, our users authenticate, exemptions relay', () => {
  const local = (h: string): boolean => h === 'example.com';
  const foreign = msg(['MESSAGE sip:x@elsewhere.net SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:m@evil.net>;tag=1', 'To: <sip:x@elsewhere.net>', 'Call-ID: c', 'CSeq: 1 MESSAGE']);
  assert.equal(relayDecision(foreign, 'foreign', false, local).kind, 'refuse');
  const ours = request('sip:x@elsewhere.net');
  assert.equal(relayDecision(ours, 'foreign', false, local).kind, 'authenticate');
  const inDialog = msg(['NOTIFY sip:alice@192.0.2.4 SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:x@elsewhere.net>;tag=1', 'To: <sip:alice@example.com>;tag=2', 'Call-ID: c', 'CSeq: 1 NOTIFY']);
  assert.equal(relayDecision(inDialog, 'foreign', true, local).kind, 'relay');
  assert.equal(relayDecision(inDialog, 'foreign', false, local).kind, 'refuse');
  assert.equal(relayDecision(foreign, 'contact', false, local).kind, 'relay');
  assert.equal(relayDecision(foreign, 'user', false, local).kind, 'relay');
});

test('relay policy: the 403 names a mapped host as its IPv4 address and IPv6 in brackets', () => {
  const local = (h: string): boolean => h === 'example.com';
  const to = (uri: string): SipMessage => msg([`MESSAGE ${uri} SIP/2.0`, 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:eve@other.example>;tag=1', `To: <${uri}>`, 'Call-ID: c', 'CSeq: 1 MESSAGE']);
  const reason = (uri: string): string | undefined => {
    const d = relayDecision(to(uri), 'foreign', false, local);
    return d.kind === 'refuse' ? d.reason : undefined;
  };
  assert.equal(reason('sip:x@[::ffff:192.0.2.1]'), 'Forbidden (relaying to 192.0.2.1 is not allowed)');
  assert.equal(reason('sip:x@[2001:db8::5]'), 'Forbidden (relaying to [2001:db8::5] is not allowed)');
  assert.equal(reason('sip:x@elsewhere.net'), 'Forbidden (relaying to elsewhere.net is not allowed)');
});

test('RFC 3263: numeric host direct; NAPTR -> SRV -> A/AAAA in order; SRV without NAPTR; A alone on 5060', async () => {
  const dns: DnsLookup = {
    resolveNaptr: async (n) => n === 'naptr.example' ? [
      { flags: 's', service: 'SIP+D2T', replacement: '_sip._tcp.naptr.example', order: 20, preference: 0 },
      { flags: 's', service: 'SIP+D2U', replacement: '_sip._udp.naptr.example', order: 10, preference: 0 },
    ] : [],
    resolveSrv: async (n) => ({
      '_sip._udp.naptr.example': [{ name: 'u.naptr.example', port: 5070, priority: 1, weight: 0 }],
      '_sip._tcp.naptr.example': [{ name: 't.naptr.example', port: 5080, priority: 1, weight: 0 }],
      '_sip._tcp.srv.example': [{ name: 'b.srv.example', port: 5090, priority: 2, weight: 0 }, { name: 'a.srv.example', port: 5091, priority: 1, weight: 0 }],
    } as Record<string, Array<{ name: string; port: number; priority: number; weight: number }>>)[n] ?? [],
    resolve4: async (n) => ({ 'u.naptr.example': ['192.0.2.1'], 't.naptr.example': ['192.0.2.2'], 'a.srv.example': ['192.0.2.3'], 'b.srv.example': ['192.0.2.4'], 'plain.example': ['192.0.2.5'] } as Record<string, string[]>)[n] ?? [],
    resolve6: async (n) => n === 'plain.example' ? ['2001:db8::5'] : [],
  };
  const r = new DnsResolver(dns);
  const uri = (s: string): SipUri => parseUri(s) as SipUri;
  assert.deepEqual(await r.resolve(uri('sip:bob@[::1]:5099')), [{ protocol: 'udp', address: '::1', port: 5099, serverName: '::1' }]);
  assert.deepEqual(await r.resolve(uri('sip:bob@127.0.0.2;transport=tcp')), [{ protocol: 'tcp', address: '127.0.0.2', port: 5060, serverName: '127.0.0.2' }]);
  // A TLS peer must prove to be the URI's domain, not the SRV target (RFC 5922 4.1): that is the name kept.
  assert.deepEqual(await r.resolve(uri('sip:bob@naptr.example')), [
    { protocol: 'udp', address: '192.0.2.1', port: 5070, serverName: 'naptr.example' },
    { protocol: 'tcp', address: '192.0.2.2', port: 5080, serverName: 'naptr.example' },
  ]);
  assert.deepEqual(await r.resolve(uri('sip:bob@srv.example')), [
    { protocol: 'tcp', address: '192.0.2.3', port: 5091, serverName: 'srv.example' },
    { protocol: 'tcp', address: '192.0.2.4', port: 5090, serverName: 'srv.example' },
  ]);
  // AAAA before A (RFC 6724's default policy prefers IPv6), as the client does.
  assert.deepEqual(await r.resolve(uri('sip:bob@plain.example')), [
    { protocol: 'udp', address: '2001:db8::5', port: 5060, serverName: 'plain.example' },
    { protocol: 'udp', address: '192.0.2.5', port: 5060, serverName: 'plain.example' },
  ]);
  assert.deepEqual(await r.resolve(uri('sip:bob@nothing.example')), []);
  // maddr is the host to resolve (RFC 3261 19.1.1); sips;transport=tcp is TLS over TCP (RFC 3263 4.1).
  assert.deepEqual(await r.resolve(uri('sip:bob@nothing.example;maddr=192.0.2.7')), [{ protocol: 'udp', address: '192.0.2.7', port: 5060, serverName: '192.0.2.7' }]);
  assert.deepEqual(await r.resolve(uri('sips:bob@192.0.2.8;transport=tcp')), [{ protocol: 'tls', address: '192.0.2.8', port: 5061, serverName: '192.0.2.8' }]);
  // A SIPS Record-Route toward a WSS side is written sips:...;transport=ws: it is followed over WSS.
  assert.deepEqual(await r.resolve(uri('sips:192.0.2.8:8443;transport=ws;lr')), [{ protocol: 'wss', address: '192.0.2.8', port: 8443, serverName: '192.0.2.8' }]);
});

test('RFC 3263 in the proxy: names DNS does not know come from the hosts file; localhost never goes to DNS', async () => {
  const asked: string[] = [];
  const dns: DnsLookup = {
    resolveNaptr: async (n) => { asked.push(n); return []; },
    resolveSrv: async (n) => { asked.push(n); return []; },
    resolve4: async (n) => { asked.push(n); throw new Error('ENOTFOUND'); },
    resolve6: async (n) => { asked.push(n); throw new Error('ENOTFOUND'); },
    lookup: async (n) => n === 'peer.lan' ? [{ address: '10.0.0.9', family: 4 }] : n === 'localhost' ? [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }] : [],
  };
  const r = new DnsResolver(dns);
  assert.deepEqual(await r.resolve(parseUri('sip:bob@peer.lan') as SipUri), [{ protocol: 'udp', address: '10.0.0.9', port: 5060, serverName: 'peer.lan' }]);
  asked.length = 0;
  assert.deepEqual(await r.resolve(parseUri('sip:bob@localhost;transport=tcp') as SipUri), [
    { protocol: 'tcp', address: '::1', port: 5060, serverName: 'localhost' },
    { protocol: 'tcp', address: '127.0.0.1', port: 5060, serverName: 'localhost' },
  ]);
  assert.deepEqual(asked, [], 'localhost is not asked of DNS (RFC 6761 6.3)');
});

test('16.7 step 3: our Via leaves the response, also when it shares a line with the next one', () => {
  const res = msg(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP p;branch=z9hG4bKp, SIP/2.0/UDP a;branch=z9hG4bKa', 'Via: SIP/2.0/UDP b;branch=z9hG4bKb',
    'From: <sip:a@x>;tag=1', 'To: <sip:b@x>;tag=2', 'Call-ID: c', 'CSeq: 1 MESSAGE']);
  removeTopVia(res);
  assert.deepEqual(res.via().map((v) => v.host), ['a', 'b']);
  removeTopVia(res);
  assert.deepEqual(res.via().map((v) => v.host), ['b']);
});
