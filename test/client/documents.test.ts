// Pure parts: PIDF, is-composing, CPIM, RFC 3263 resolution with a scripted DNS, backoff, instance id.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composePidf, overallBasic, parsePidf, PidfError } from '../../src/presence/pidf.js';
import { composeIsComposing, IsComposingError, parseIsComposing } from '../../src/messaging/is-composing.js';
import { parseCpim } from '../../src/client/cpim.js';
import { resolveServer, type DnsLookup } from '../../src/client/resolver.js';
import { backoffDelay } from '../../src/client/backoff.js';
import { loadInstanceId } from '../../src/client/instance-id.js';
import { parseUri, type SipUri } from '../../src/sip/uri.js';

describe('PIDF (RFC 3863)', () => {
  test('compose and parse back: basic, note, activity, contact', () => {
    const doc = parsePidf(composePidf({ entity: 'sip:alice@example.com', basic: 'open', note: 'at <lunch> & back', activity: 'away', contact: 'sip:alice@192.0.2.1' }));
    assert.equal(doc.entity, 'sip:alice@example.com');
    assert.equal(doc.tuples[0].basic, 'open');
    assert.equal(doc.tuples[0].contact, 'sip:alice@192.0.2.1');
    assert.deepEqual(doc.tuples[0].notes, ['at <lunch> & back']);
    assert.deepEqual(doc.activities, ['away']);
  });
  test('namespace-aware: any prefix works, the right name in the wrong namespace does not count', () => {
    const doc = parsePidf(`<x:presence xmlns:x="urn:ietf:params:xml:ns:pidf" xmlns:o="urn:other" entity="pres:bob@example.com">
      <x:tuple id="a"><x:status><x:basic>closed</x:basic></x:status></x:tuple>
      <o:tuple id="fake"><x:status><x:basic>open</x:basic></x:status></o:tuple>
      <x:tuple id="b"><x:status><x:basic>open</x:basic></x:status></x:tuple></x:presence>`);
    assert.deepEqual(doc.tuples.map((t) => t.id), ['a', 'b']);
    assert.equal(overallBasic(doc), 'open');
  });
  test('errors are typed', () => {
    assert.throws(() => parsePidf('<presence>'), PidfError);
    assert.throws(() => parsePidf('<presence xmlns="urn:wrong"/>'), PidfError);
    assert.throws(() => parsePidf('<presence xmlns="urn:ietf:params:xml:ns:pidf"><tuple id="t"><status><basic>maybe</basic></status></tuple></presence>'), PidfError);
  });
});

describe('is-composing (RFC 3994)', () => {
  test('round trip; refresh only with active', () => {
    assert.deepEqual(parseIsComposing(composeIsComposing({ state: 'active', refresh: 90, contentType: 'text/plain' })), { state: 'active', refresh: 90, contentType: 'text/plain', lastActive: undefined });
    assert.equal(parseIsComposing(composeIsComposing({ state: 'idle', refresh: 90 })).refresh, undefined);
    assert.throws(() => parseIsComposing('<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>busy</state></isComposing>'), IsComposingError);
  });
});

test('CPIM (RFC 3862): headers and the wrapped content', () => {
  assert.deepEqual(parseCpim('From: <sip:a@b>\r\nTo: <sip:c@d>\r\n\r\nContent-Type: text/html\r\n\r\n<p>x</p>'), {
    from: '<sip:a@b>', to: '<sip:c@d>', dateTime: undefined, contentType: 'text/html', body: '<p>x</p>',
  });
  assert.equal(parseCpim('no blank line'), undefined);
});

function fakeDns(table: { naptr?: Record<string, Array<[string, string, number]>>; srv?: Record<string, Array<[string, number, number]>>; a?: Record<string, string[]>; aaaa?: Record<string, string[]> }): DnsLookup & { asked: string[] } {
  const asked: string[] = [];
  const get = <T>(m: Record<string, T[]> | undefined, name: string, kind: string): Promise<T[]> => {
    asked.push(`${kind} ${name}`);
    const v = m?.[name];
    return v === undefined ? Promise.reject(Object.assign(new Error('ENODATA'), { code: 'ENODATA' })) : Promise.resolve(v);
  };
  return {
    asked,
    resolveNaptr: async (n) => (await get(table.naptr, n, 'NAPTR')).map(([service, replacement, order]) => ({ flags: 's', service, regexp: '', replacement, order, preference: 0 })),
    resolveSrv: async (n) => (await get(table.srv, n, 'SRV')).map(([name, port, priority]) => ({ name, port, priority, weight: 0 })),
    resolve4: (n) => get(table.a, n, 'A'),
    resolve6: (n) => get(table.aaaa, n, 'AAAA'),
  };
}

const uri = (t: string): SipUri => parseUri(t) as SipUri;

describe('RFC 3263 resolution', () => {
  test('NAPTR order picks the transport, SRV the hosts, AAAA before A', async () => {
    const dns = fakeDns({
      naptr: { 'example.com': [['SIP+D2U', '_sip._udp.example.com', 20], ['SIP+D2T', '_sip._tcp.example.com', 10]] },
      srv: { '_sip._tcp.example.com': [['b.example.com', 5070, 2], ['a.example.com', 5060, 1]], '_sip._udp.example.com': [['a.example.com', 5060, 1]] },
      a: { 'a.example.com': ['192.0.2.1'], 'b.example.com': ['192.0.2.2'] },
      aaaa: { 'a.example.com': ['2001:db8::1'] },
    });
    const targets = await resolveServer(uri('sip:example.com'), undefined, dns);
    assert.deepEqual(targets.map((t) => `${t.protocol} ${t.address} ${t.port}`), [
      'tcp 2001:db8::1 5060', 'tcp 192.0.2.1 5060', 'tcp 192.0.2.2 5070', 'udp 2001:db8::1 5060', 'udp 192.0.2.1 5060',
    ]);
  });
  test('no NAPTR: SRV per transport; nothing: A with UDP on 5060', async () => {
    const dns = fakeDns({ srv: { '_sip._tcp.example.com': [['s.example.com', 5080, 1]] }, a: { 's.example.com': ['192.0.2.5'], 'example.com': ['192.0.2.9'] } });
    assert.deepEqual((await resolveServer(uri('sip:example.com'), undefined, dns)).map((t) => `${t.protocol} ${t.address}:${t.port}`), ['tcp 192.0.2.5:5080']);
    const bare = fakeDns({ a: { 'example.com': ['192.0.2.9'] } });
    assert.deepEqual((await resolveServer(uri('sip:example.com'), undefined, bare)).map((t) => `${t.protocol} ${t.address}:${t.port}`), ['udp 192.0.2.9:5060']);
  });
  test('numeric hosts and explicit ports skip NAPTR and SRV; transport parameter and sips', async () => {
    const dns = fakeDns({ a: { 'example.com': ['192.0.2.9'] } });
    const v6 = await resolveServer(uri('sip:[2001:db8::1]:5070;transport=tcp'), undefined, dns);
    assert.deepEqual(v6, [{ protocol: 'tcp', address: '2001:db8::1', port: 5070, family: 6, host: '2001:db8::1' }]);
    assert.deepEqual((await resolveServer(uri('sip:example.com:5080'), undefined, dns)).map((t) => `${t.protocol} ${t.port}`), ['udp 5080']);
    assert.deepEqual(dns.asked, ['AAAA example.com', 'A example.com']);
    assert.deepEqual((await resolveServer(uri('sips:192.0.2.1'), undefined, dns)).map((t) => `${t.protocol} ${t.port}`), ['tls 5061']);
    assert.deepEqual((await resolveServer(uri('sip:192.0.2.1'), 'wss', dns)).map((t) => `${t.protocol} ${t.port}`), ['wss 443']);
  });
  test('nothing at all: resolution-failed', async () => {
    await assert.rejects(resolveServer(uri('sip:nowhere.invalid'), undefined, fakeDns({})), { code: 'resolution-failed' });
  });
  test('an IPv4-mapped server address is the IPv4 address it carries, for every transport', async () => {
    for (const transport of ['udp', 'tcp'] as const) {
      const targets = await resolveServer(uri(`sip:[::ffff:127.0.0.1]:5070;transport=${transport}`), undefined, fakeDns({}));
      assert.deepEqual(targets.map((t) => `${t.protocol} ${t.address} ${t.family}`), [`${transport} 127.0.0.1 4`]);
    }
  });
  test('the system resolver (hosts file): for localhost without DNS, and when DNS has no address', async () => {
    const hosts: Record<string, Array<{ address: string; family: number }>> = {
      localhost: [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }],
      'lab.internal': [{ address: '::ffff:192.0.2.7', family: 6 }],
    };
    const dns: DnsLookup & { asked: string[] } = {
      ...fakeDns({}),
      lookup: async (name) => {
        const found = hosts[name];
        if (found === undefined) throw new Error('ENOTFOUND');
        return found;
      },
    };
    const local = await resolveServer(uri('sip:localhost'), undefined, dns);
    assert.deepEqual(local.map((t) => `${t.protocol} ${t.address}:${t.port}`), ['udp ::1:5060', 'udp 127.0.0.1:5060']);
    assert.deepEqual(dns.asked, [], 'RFC 6761: localhost is not asked of DNS');
    const lab = await resolveServer(uri('sip:lab.internal;transport=tcp'), undefined, dns);
    assert.deepEqual(lab.map((t) => `${t.protocol} ${t.address}:${t.port} ${t.family}`), ['tcp 192.0.2.7:5060 4']);
    await assert.rejects(resolveServer(uri('sip:nowhere.invalid'), undefined, dns), /not in the hosts file/);
  });
});

test('RFC 5626 4.5 backoff: between 50% and 100% of min(max, base * 2^n)', () => {
  const o = { baseMs: 30_000, maxMs: 1_800_000 };
  assert.equal(backoffDelay(o, 0, () => 0), 15_000);
  assert.equal(backoffDelay(o, 2, () => 1), 120_000);
  assert.equal(backoffDelay(o, 20, () => 1), 1_800_000);
});

test('instance id: a UUID URN kept in the state directory', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'simplesip-id-')), 'nested');
  const id = loadInstanceId(dir);
  assert.match(id, /^urn:uuid:[0-9a-f-]{36}$/);
  assert.equal(loadInstanceId(dir), id);
  assert.equal(`urn:uuid:${readFileSync(join(dir, 'instance-id'), 'utf8').trim()}`, id);
});
