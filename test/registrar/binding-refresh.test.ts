// A refresh of a binding with the same contact text (RFC 3261 10.3 step 7: same Call-ID and higher
// CSeq, or a new Call-ID) changes the stored binding in place: the same object stays in every index,
// and the indexes still follow when the refresh comes from another source or names another contact.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ContactIndex } from '../../src/proxy/contact-index.js';
import { SLOT_MS } from '../../src/registrar/expiry.js';
import { parseUri } from '../../src/sip/uri.js';
import { openStore } from '../../src/store/index.js';
import type { BindingRecord } from '../../src/store/types.js';
import { tempDir } from '../store/helpers.js';
import { register, rig, tcpSource, udpSource } from './helpers.js';

/** A binding as the store reads it back: optional fields that are undefined are absent. */
function asStored(b: BindingRecord): Record<string, unknown> {
  return Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined));
}

const ALICE = 'sip:alice@example.com';
const INSTANCE = '+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1';

describe('LocationService: a refresh in place', () => {
  test('a refresh keeps the binding object and updates its fields, the event and the store', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@127.0.0.1:5070>'], expires: 600 }), udpSource());
    const before = r.location.lookup(ALICE)[0];
    const id = before.id;
    r.clock.now += 10_000;
    await r.registrar.register(register({ callId: 'call-2', cseq: 7, contacts: ['<sip:alice@127.0.0.1:5070>'], expires: 600 }), udpSource());
    const after = r.location.lookup(ALICE)[0];
    assert.equal(after, before, 'the refresh made a new binding object');
    assert.equal(after.id, id);
    assert.equal(after.callId, 'call-2');
    assert.equal(after.cseq, 7);
    assert.equal(after.expiresAt, r.clock.now + 600_000);
    assert.equal(after.lastModified, r.clock.now);
    assert.equal(r.location.counts().bindings, 1);
    const last = r.changes.at(-1);
    assert.deepEqual([last?.type, last?.reason], ['updated', 'refreshed']);
    assert.equal(last?.binding, after);
    const stored = await r.repository.all();
    assert.deepEqual(stored.map((b) => [b.id, b.callId, b.cseq]), [[id, 'call-2', 7]]);
  });

  test('the database row follows every kind of refresh (only the times, or a new User-Agent, source, NAT flag, Path)', async (t) => {
    const { dir, cleanup } = tempDir();
    t.after(cleanup);
    const store = await openStore({ kind: 'sqlite', dataDir: dir });
    t.after(() => store.close());
    const r = await rig({}, store.bindings);
    const contact = '<sip:alice@127.0.0.1:5070>';
    const refreshes: Array<[string, Parameters<typeof register>[0], ReturnType<typeof udpSource>]> = [
      ['first registration', { cseq: 1, contacts: [contact], expires: 600, headers: ['User-Agent: ua/1'] }, udpSource()],
      ['new Call-ID only', { callId: 'call-2', cseq: 1, contacts: [contact], expires: 600, headers: ['User-Agent: ua/1'] }, udpSource()],
      ['higher CSeq only', { callId: 'call-2', cseq: 2, contacts: [contact], expires: 300, headers: ['User-Agent: ua/1'] }, udpSource()],
      ['new User-Agent', { callId: 'call-2', cseq: 3, contacts: [contact], expires: 300, headers: ['User-Agent: ua/2'] }, udpSource()],
      ['no User-Agent', { callId: 'call-2', cseq: 4, contacts: [contact], expires: 300 }, udpSource()],
      ['another source port (NAT flag set)', { callId: 'call-2', cseq: 5, contacts: [contact], expires: 300 }, udpSource('127.0.0.1', 6000)],
      ['back to the contact port', { callId: 'call-2', cseq: 6, contacts: [contact], expires: 300 }, udpSource()],
      ['a Path', { callId: 'call-2', cseq: 7, contacts: [contact], expires: 300, headers: ['Path: <sip:edge.example.com;lr>'] }, udpSource()],
      ['a q value', { callId: 'call-2', cseq: 8, contacts: [`${contact};q=0.5`], expires: 300 }, udpSource()],
    ];
    for (const [what, spec, source] of refreshes) {
      r.clock.now += 1000;
      assert.equal((await r.registrar.register(register(spec), source)).status, 200, what);
      const live = r.location.lookup(ALICE);
      assert.equal(live.length, 1, what);
      assert.deepEqual((await store.bindings.all()).map(asStored), live.map(asStored), `stored after: ${what}`);
    }
  });

  test('a refused REGISTER leaves the binding as it was (planned first, applied after)', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@127.0.0.1:5070>'], expires: 600 }), udpSource());
    const b = r.location.lookup(ALICE)[0];
    const was = { ...b };
    r.clock.now += 10_000;
    // The first contact would refresh the binding, the second is below Min-Expires: 423, nothing changes.
    const answer = await r.registrar.register(register({
      callId: 'call-2', contacts: ['<sip:alice@127.0.0.1:5070>', '<sip:alice@192.0.2.9>;expires=5'], expires: 600,
    }), udpSource('127.0.0.1', 5090));
    assert.equal(answer.status, 423);
    assert.deepEqual({ ...r.location.lookup(ALICE)[0] }, was);
    assert.equal(r.location.bindingsFrom('udp 127.0.0.1 5090').length, 0);
  });

  test('a refresh from another source moves the binding in the source index', async () => {
    const r = await rig();
    // Two bindings on one source (a NAT): the source holds a set of them.
    await r.registrar.register(register({ contacts: ['<sip:alice@10.0.0.1:5070>'], expires: 600 }), udpSource('192.0.2.1', 5070));
    await r.registrar.register(register({ aor: 'sip:bob@example.com', callId: 'b', contacts: ['<sip:bob@10.0.0.2:5070>'], expires: 600 }), udpSource('192.0.2.1', 5070));
    const alice = r.location.lookup(ALICE)[0];
    assert.equal(r.location.bindingsFrom('udp 192.0.2.1 5070').length, 2);

    await r.registrar.register(register({ cseq: 2, contacts: ['<sip:alice@10.0.0.1:5070>'], expires: 600 }), udpSource('192.0.2.1', 6000));
    assert.equal(r.location.lookup(ALICE)[0], alice);
    assert.deepEqual(alice.received, { protocol: 'udp', address: '192.0.2.1', port: 6000 });
    assert.deepEqual(r.location.bindingsFrom('udp 192.0.2.1 5070').map((b) => b.aor), ['sip:bob@example.com']);
    assert.deepEqual(r.location.bindingsFrom('udp 192.0.2.1 6000'), [alice]);
    assert.equal(r.location.touch('udp 192.0.2.1 5070', 1), 1, 'only bob is left on the old source');

    // Then over TCP: the connection is the source.
    await r.registrar.register(register({ cseq: 3, contacts: ['<sip:alice@10.0.0.1:5070>'], expires: 600 }), tcpSource('tcp-9', '192.0.2.1', 40000));
    assert.equal(r.location.lookup(ALICE)[0], alice);
    assert.equal(r.location.bindingsFrom('udp 192.0.2.1 6000').length, 0);
    assert.deepEqual(r.location.bindingsFrom('tcp-9'), [alice]);
    assert.equal(await r.location.removeFrom('tcp-9', 'connection-closed'), 1);
    assert.equal(r.location.lookup(ALICE).length, 0);
    assert.deepEqual(r.location.counts(), { aors: 1, bindings: 1 });
  });

  test('a refresh that shortens or lengthens the interval moves the expiry both ways', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@127.0.0.1:5070>'], expires: 600 }), udpSource());
    await r.registrar.register(register({ cseq: 2, contacts: ['<sip:alice@127.0.0.1:5070>'], expires: 60 }), udpSource());
    await r.registrar.register(register({ cseq: 3, contacts: ['<sip:alice@127.0.0.1:5070>'], expires: 120 }), udpSource());
    await r.registrar.register(register({ cseq: 4, contacts: ['<sip:alice@127.0.0.1:5070>'], expires: 90 }), udpSource());
    assert.equal(r.timers.size, 1, 'the slots left behind hold no timer');
    r.advance(90_000 - 1);
    assert.equal(r.location.counts().bindings, 1);
    r.advance(SLOT_MS + 1);
    assert.equal(r.location.counts().bindings, 0);
    assert.equal(r.timers.size, 0);
  });

  test('the contact index follows a refresh in place and a new contact of an instance', async () => {
    const r = await rig();
    const index = new ContactIndex(r.location);
    const source = udpSource('192.0.2.10', 5070);
    await r.registrar.register(register({ contacts: [`<sip:alice@192.0.2.10:5070>;${INSTANCE}`], expires: 600 }), source);
    const first = r.location.lookup(ALICE)[0];
    await r.registrar.register(register({ cseq: 2, contacts: [`<sip:alice@192.0.2.10:5070>;${INSTANCE}`], expires: 600 }), source);
    assert.equal(index.find(parseUri('sip:alice@192.0.2.10:5070')), first);
    assert.equal(first.cseq, 2);

    // Another contact URI for the same instance and reg-id: same id, new contact, the old one unknown.
    await r.registrar.register(register({ cseq: 3, contacts: [`<sip:alice@192.0.2.10:6000>;${INSTANCE}`], expires: 600 }), udpSource('192.0.2.10', 6000));
    const moved = r.location.lookup(ALICE)[0];
    assert.equal(moved.id, first.id);
    assert.equal(index.find(parseUri('sip:alice@192.0.2.10:5070')), undefined);
    assert.equal(index.find(parseUri('sip:alice@192.0.2.10:6000')), moved);
    assert.equal(r.location.bindingsFrom('udp 192.0.2.10 5070').length, 0);
    assert.deepEqual(r.location.bindingsFrom('udp 192.0.2.10 6000'), [moved]);
    assert.equal(r.location.counts().bindings, 1);

    await r.registrar.register(register({ cseq: 4, contacts: [`<sip:alice@192.0.2.10:6000>;${INSTANCE}`], expires: 600 }), udpSource('192.0.2.10', 6000));
    assert.equal(r.location.lookup(ALICE)[0], moved);
    assert.equal(index.find(parseUri('sip:alice@192.0.2.10:6000'))?.cseq, 4);
    assert.deepEqual((await r.repository.all()).map((b) => [b.contact, b.cseq]), [['sip:alice@192.0.2.10:6000', 4]]);
  });

  test('a stored contact listed twice in one REGISTER: the last listing wins, in place or removed', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>'], expires: 600 }), udpSource());
    const b = r.location.lookup(ALICE)[0];
    const answer = await r.registrar.register(register({ cseq: 2, contacts: ['<sip:alice@192.0.2.10>;expires=100', '<sip:alice@192.0.2.10>;expires=200'] }), udpSource());
    assert.equal(answer.status, 200);
    assert.equal(r.location.lookup(ALICE)[0], b);
    assert.equal(b.expiresAt, r.clock.now + 200_000);
    assert.equal(r.changes.filter((c) => c.type === 'updated').length, 1, 'one change for the binding');
    await r.registrar.register(register({ cseq: 3, contacts: ['<sip:alice@192.0.2.10>;expires=100', '<sip:alice@192.0.2.10>;expires=0'] }), udpSource());
    assert.equal(r.location.counts().bindings, 0);
    assert.equal(r.changes.at(-1)?.binding, b);
    assert.deepEqual([r.changes.at(-1)?.type, b.expiresAt], ['removed', r.clock.now + 200_000], 'the removed binding was not refreshed first');
    assert.equal((await r.repository.all()).length, 0);
  });
});
