// RFC 3261 10.3 processing of one REGISTER (Registrar + LocationService, memory store, manual clock).
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { removeOnConnectionClose } from '../../src/registrar/keepalive-tracker.js';
import type { TransportEvents } from '../../src/transport/transport-manager.js';
import { headerValues, register, rig, tcpSource, udpSource } from './helpers.js';

const ALICE = 'sip:alice@example.com';

describe('Registrar: adding, refreshing, removing', () => {
  test('a new contact is bound; the 200 lists it with its expires and a Date', async () => {
    const r = await rig();
    const answer = await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10:5070>'], expires: 600 }), udpSource('192.0.2.10'));
    assert.equal(answer.status, 200);
    assert.deepEqual(headerValues(answer, 'Contact'), ['<sip:alice@192.0.2.10:5070>;expires=600']);
    assert.equal(headerValues(answer, 'Date')[0], new Date(r.clock.now).toUTCString());
    const [b] = r.location.lookup(ALICE);
    assert.equal(b.expiresAt, r.clock.now + 600_000);
    assert.deepEqual(r.changes.map((c) => [c.type, c.reason]), [['added', 'registered']]);
  });

  test('the default interval applies when neither the contact nor Expires gives one', async () => {
    const r = await rig({ defaultExpires: 1800 });
    const answer = await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>'] }), udpSource());
    assert.deepEqual(headerValues(answer, 'Contact'), ['<sip:alice@192.0.2.10>;expires=1800']);
  });

  test('the contact expires parameter wins over the Expires header', async () => {
    const r = await rig();
    const answer = await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>;expires=120'], expires: 900 }), udpSource());
    assert.deepEqual(headerValues(answer, 'Contact'), ['<sip:alice@192.0.2.10>;expires=120']);
  });

  test('a refresh with a higher CSeq updates the binding instead of adding one', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>'], expires: 600 }), udpSource());
    r.clock.now += 10_000;
    const answer = await r.registrar.register(register({ cseq: 2, contacts: ['<sip:alice@192.0.2.10>'], expires: 900 }), udpSource());
    assert.deepEqual(headerValues(answer, 'Contact'), ['<sip:alice@192.0.2.10>;expires=900']);
    assert.equal(r.location.counts().bindings, 1);
    assert.deepEqual(r.changes.map((c) => [c.type, c.reason]), [['added', 'registered'], ['updated', 'refreshed']]);
  });

  test('expires=0 removes the binding and the 200 lists what is left', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>', '<sip:alice@192.0.2.11>'], expires: 600 }), udpSource());
    const answer = await r.registrar.register(register({ cseq: 2, contacts: ['<sip:alice@192.0.2.10>;expires=0'] }), udpSource());
    assert.deepEqual(headerValues(answer, 'Contact'), ['<sip:alice@192.0.2.11>;expires=600']);
    assert.equal(r.changes.at(-1)?.reason, 'unregistered');
    assert.equal(r.changes.at(-1)?.type, 'removed');
    assert.equal((await r.repository.all()).length, 1);
  });

  test('a REGISTER without Contact is a query: 200 with the current bindings, nothing changes', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>'], expires: 600 }), udpSource());
    r.clock.now += 100_000;
    const answer = await r.registrar.register(register({ cseq: 2 }), udpSource());
    assert.equal(answer.status, 200);
    assert.deepEqual(headerValues(answer, 'Contact'), ['<sip:alice@192.0.2.10>;expires=500']);
    assert.equal(r.changes.length, 1);
  });

  test('bindings are listed highest q first', async () => {
    const r = await rig();
    await r.registrar.register(register({
      contacts: ['<sip:a@192.0.2.1>;q=0.1', '<sip:b@192.0.2.2>;q=0.9', '<sip:c@192.0.2.3>;q=0.5'], expires: 600,
    }), udpSource());
    const answer = await r.registrar.register(register({ cseq: 2 }), udpSource());
    assert.deepEqual(headerValues(answer, 'Contact'), [
      '<sip:b@192.0.2.2>;expires=600;q=0.9', '<sip:c@192.0.2.3>;expires=600;q=0.5', '<sip:a@192.0.2.1>;expires=600;q=0.1',
    ]);
  });
});

describe('Registrar: intervals', () => {
  test('0 < expires < min gets 423 with Min-Expires and changes nothing', async () => {
    const r = await rig({ minExpires: 60 });
    const answer = await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>', '<sip:alice@192.0.2.11>;expires=30'], expires: 600 }), udpSource());
    assert.equal(answer.status, 423);
    assert.match(answer.reason, /^Interval Too Brief \(.+\)$/);
    assert.deepEqual(headerValues(answer, 'Min-Expires'), ['60']);
    assert.equal(r.location.counts().bindings, 0);
  });

  test('expires 0 is never too brief', async () => {
    const r = await rig({ minExpires: 60 });
    const answer = await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>'], expires: 0 }), udpSource());
    assert.equal(answer.status, 200);
  });

  test('a longer interval than max is shortened to max', async () => {
    const r = await rig({ maxExpires: 3600 });
    const answer = await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>'], expires: 7200 }), udpSource());
    assert.deepEqual(headerValues(answer, 'Contact'), ['<sip:alice@192.0.2.10>;expires=3600']);
  });
});

describe('Registrar: Contact: *', () => {
  test('with Expires: 0 it removes every binding of the AOR', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>', '<sip:alice@192.0.2.11>'], expires: 600 }), udpSource());
    await r.registrar.register(register({ aor: 'sip:bob@example.com', contacts: ['<sip:bob@192.0.2.12>'], expires: 600 }), udpSource());
    const answer = await r.registrar.register(register({ cseq: 2, contacts: ['*'], expires: 0 }), udpSource());
    assert.equal(answer.status, 200);
    assert.deepEqual(headerValues(answer, 'Contact'), []);
    assert.equal(r.location.lookup(ALICE).length, 0);
    assert.equal(r.location.lookup('sip:bob@example.com').length, 1);
  });

  test('without Expires: 0 it is a 400 and changes nothing', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>'], expires: 600 }), udpSource());
    for (const expires of [undefined, 60]) {
      const answer = await r.registrar.register(register({ cseq: 2, contacts: ['*'], expires }), udpSource());
      assert.equal(answer.status, 400);
      assert.match(answer.reason, /Contact: \* needs Expires: 0/);
    }
    assert.equal(r.location.counts().bindings, 1);
  });

  test('an older CSeq of the same Call-ID is refused', async () => {
    const r = await rig();
    await r.registrar.register(register({ cseq: 5, contacts: ['<sip:alice@192.0.2.10>'], expires: 600 }), udpSource());
    const answer = await r.registrar.register(register({ cseq: 5, contacts: ['*'], expires: 0 }), udpSource());
    assert.equal(answer.status, 400);
    assert.equal(r.location.counts().bindings, 1);
  });
});

describe('Registrar: ordering and matching', () => {
  test('same Call-ID with a CSeq not higher than the stored one: 400, nothing changes', async () => {
    const r = await rig();
    await r.registrar.register(register({ cseq: 10, contacts: ['<sip:alice@192.0.2.10>'], expires: 600 }), udpSource());
    for (const cseq of [10, 9]) {
      const answer = await r.registrar.register(register({ cseq, contacts: ['<sip:alice@192.0.2.10>'], expires: 0 }), udpSource());
      assert.equal(answer.status, 400);
      assert.match(answer.reason, /CSeq \d+ is not higher than 10/);
      assert.equal(headerValues(answer, 'P-Registrar-Error').length, 1);
    }
    assert.equal(r.location.counts().bindings, 1);
    assert.equal(r.changes.length, 1);
  });

  test('another Call-ID may have a lower CSeq (a rebooted client)', async () => {
    const r = await rig();
    await r.registrar.register(register({ cseq: 10, contacts: ['<sip:alice@192.0.2.10>'], expires: 600 }), udpSource());
    const answer = await r.registrar.register(register({ callId: 'call-2', cseq: 1, contacts: ['<sip:alice@192.0.2.10>'], expires: 300 }), udpSource());
    assert.equal(answer.status, 200);
    assert.equal(r.location.counts().bindings, 1);
    assert.equal(r.location.lookup(ALICE)[0].callId, 'call-2');
  });

  test('contacts are matched by URI equality (RFC 3261 19.1.4), not by text', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@HOST.example.net:5070;transport=udp;lr>'], expires: 600 }), udpSource());
    await r.registrar.register(register({ cseq: 2, contacts: ['<sip:alice@host.example.net:5070;lr;transport=UDP>'], expires: 900 }), udpSource());
    assert.equal(r.location.counts().bindings, 1);
    await r.registrar.register(register({ cseq: 3, contacts: ['<sip:Alice@host.example.net:5070;transport=udp>'], expires: 900 }), udpSource());
    assert.equal(r.location.counts().bindings, 2, 'the user part is case-sensitive');
    await r.registrar.register(register({ cseq: 4, contacts: ['<sip:alice@host.example.net:5070;transport=udp;lr>'], expires: 0 }), udpSource());
    assert.equal(r.location.counts().bindings, 1);
  });

  test('same +sip.instance and reg-id from a new port and Call-ID replaces the binding', async () => {
    const r = await rig();
    const instance = '+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"';
    await r.registrar.register(register({ contacts: [`<sip:alice@192.0.2.10:5070>;${instance};reg-id=1`], expires: 600 }), udpSource('192.0.2.10', 5070));
    const answer = await r.registrar.register(register({ callId: 'call-2', contacts: [`<sip:alice@192.0.2.10:6000>;${instance};reg-id=1`], expires: 600 }), udpSource('192.0.2.10', 6000));
    assert.deepEqual(headerValues(answer, 'Contact'), [`<sip:alice@192.0.2.10:6000>;expires=600;${instance};reg-id=1`]);
    assert.equal(r.changes.at(-1)?.reason, 'replaced');
    assert.equal((await r.repository.all()).length, 1);
    // The old source no longer leads to the binding.
    assert.equal(r.location.bindingsFrom('udp 192.0.2.10 5070').length, 0);
    assert.equal(r.location.bindingsFrom('udp 192.0.2.10 6000').length, 1);
    await r.registrar.register(register({ callId: 'call-3', contacts: [`<sip:alice@192.0.2.10:6001>;${instance};reg-id=2`], expires: 600 }), udpSource('192.0.2.10', 6001));
    assert.equal(r.location.counts().bindings, 2, 'another reg-id is another flow');
  });

  test('a plain contact equal to an instance binding\'s URI, then that instance again: the store keeps exactly the bindings in memory', async () => {
    // A restart loads the store: a binding that shares its row id with another one would vanish then.
    const r = await rig();
    const instance = '+sip.instance="<urn:uuid:00000000-0000-0000-0000-000000000001>"';
    const contact = '<sip:carol@192.0.2.10:35011>';
    const reg = { aor: 'sip:carol@example.com', expires: 600, headers: ['Supported: outbound'] };
    await r.registrar.register(register({ ...reg, callId: 'i1', contacts: [`${contact};${instance};reg-id=1`] }), udpSource('192.0.2.10', 35011));
    await r.registrar.register(register({ ...reg, callId: 'i2', contacts: [contact] }), udpSource('192.0.2.10', 35011));
    await r.registrar.register(register({ ...reg, callId: 'i3', contacts: [`${contact};${instance};reg-id=1`] }), udpSource('192.0.2.10', 35011));
    const inMemory = r.location.lookup('sip:carol@example.com').map((b) => `${b.callId} ${b.instance ?? '-'}`).sort();
    assert.deepEqual(inMemory, ['i2 -', 'i3 <urn:uuid:00000000-0000-0000-0000-000000000001>']);
    const stored = await r.repository.all();
    assert.deepEqual(stored.map((b) => `${b.callId} ${b.instance ?? '-'}`).sort(), inMemory);
    assert.equal(new Set(stored.map((b) => b.id)).size, 2, 'two bindings, two rows');
    // And a plain expires=0 removes the plain binding, not the instance's.
    await r.registrar.register(register({ ...reg, callId: 'i2', cseq: 2, contacts: [`${contact};expires=0`] }), udpSource('192.0.2.10', 35011));
    assert.deepEqual(r.location.lookup('sip:carol@example.com').map((b) => b.callId), ['i3']);
    assert.deepEqual((await r.repository.all()).map((b) => b.callId), ['i3']);
  });

  test('a contact listed twice in one REGISTER makes one binding (the last wins)', async () => {
    const r = await rig();
    const answer = await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>;expires=100', '<sip:alice@192.0.2.10>;expires=200'] }), udpSource());
    assert.deepEqual(headerValues(answer, 'Contact'), ['<sip:alice@192.0.2.10>;expires=200']);
    assert.equal((await r.repository.all()).length, 1);
  });
});

describe('Registrar: limits, Path, sources', () => {
  test('beyond max contacts: 403 naming the limit, nothing changes; refreshing at the limit works', async () => {
    const r = await rig({ maxContacts: 2 });
    await r.registrar.register(register({ contacts: ['<sip:a@192.0.2.1>', '<sip:b@192.0.2.2>'], expires: 600 }), udpSource());
    const answer = await r.registrar.register(register({ cseq: 2, contacts: ['<sip:c@192.0.2.3>'], expires: 600 }), udpSource());
    assert.equal(answer.status, 403);
    assert.match(answer.reason, /too many contacts: at most 2/);
    assert.equal(r.location.counts().bindings, 2);
    const refresh = await r.registrar.register(register({ cseq: 3, contacts: ['<sip:a@192.0.2.1>'], expires: 600 }), udpSource());
    assert.equal(refresh.status, 200);
  });

  test('beyond max contacts, bindings whose RFC 5626 flow closed make room: the oldest first, only as many as needed', async () => {
    const r = await rig({ maxContacts: 3 });
    const transport = new EventEmitter<TransportEvents>();
    removeOnConnectionClose(transport, r.location, { debug() {}, info() {}, warn() {}, error() {} });
    // A browser tab reloaded again and again: a new +sip.instance over a new connection each time,
    // the previous connection closed without an un-REGISTER.
    const tab = (i: number): Promise<{ status: number }> => r.registrar.register(register({
      callId: `tab${i}`, expires: 600, headers: ['Supported: outbound'],
      contacts: [`<sip:alice@127.0.0.1:${40000 + i};transport=tcp>;+sip.instance="<urn:uuid:00000000-0000-4000-8000-00000000000${i}>";reg-id=1`],
    }), tcpSource(`conn-${i}`, '127.0.0.1', 40000 + i));
    const callIds = (): string[] => r.location.lookup(ALICE).map((b) => b.callId).sort();
    for (let i = 1; i <= 3; i++) {
      r.clock.now += 1000;
      assert.equal((await tab(i)).status, 200);
      if (i < 3) transport.emit('connection-closed', tcpSource(`conn-${i}`, '127.0.0.1', 40000 + i), 'peer');
    }
    assert.deepEqual(r.location.lookup(ALICE).filter((b) => b.flags.includes('flow-closed')).map((b) => b.callId).sort(), ['tab1', 'tab2']);

    r.clock.now += 1000;
    assert.equal((await tab(4)).status, 200, 'a closed flow made room');
    assert.deepEqual(callIds(), ['tab2', 'tab3', 'tab4'], 'the oldest closed flow went, and only it');
    assert.deepEqual(r.changes.filter((c) => c.type === 'removed').map((c) => [c.binding.callId, c.reason]), [['tab1', 'connection-closed']]);
    assert.deepEqual((await r.repository.all()).map((b) => b.callId).sort(), ['tab2', 'tab3', 'tab4'], 'removed from the store too');

    r.clock.now += 1000;
    assert.equal((await tab(5)).status, 200);
    assert.deepEqual(callIds(), ['tab3', 'tab4', 'tab5']);
    // Every flow left is open: the limit holds as before.
    const answer = await r.registrar.register(register({ callId: 'tab6', cseq: 1, contacts: ['<sip:alice@192.0.2.6>'], expires: 600 }), udpSource());
    assert.equal(answer.status, 403);
    assert.deepEqual(callIds(), ['tab3', 'tab4', 'tab5']);
  });

  test('more contacts in one REGISTER than could ever fit: 403, nothing changes; replacing every stored contact in one REGISTER still fits', async () => {
    const r = await rig({ maxContacts: 2 });
    await r.registrar.register(register({ contacts: ['<sip:a@192.0.2.1>', '<sip:b@192.0.2.2>'], expires: 600 }), udpSource());
    const many = Array.from({ length: 500 }, (_, i) => `<sip:u${i}@192.0.2.${i % 250}:${5000 + i}>`);
    const lines = Array.from({ length: 5 }, (_, i) => many.slice(i * 100, i * 100 + 100).join(', '));
    const answer = await r.registrar.register(register({ cseq: 2, contacts: lines, expires: 600 }), udpSource());
    assert.equal(answer.status, 403);
    assert.match(answer.reason, /too many contacts: at most 2/);
    assert.equal(r.location.counts().bindings, 2);
    // Two removals and two new contacts: four entries, which fit (2 allowed + 2 stored).
    const swap = await r.registrar.register(register({
      cseq: 3, contacts: ['<sip:a@192.0.2.1>;expires=0', '<sip:b@192.0.2.2>;expires=0', '<sip:c@192.0.2.3>', '<sip:d@192.0.2.4>'], expires: 600,
    }), udpSource());
    assert.equal(swap.status, 200);
    assert.deepEqual(r.location.lookup(ALICE).map((b) => b.contact).sort(), ['sip:c@192.0.2.3', 'sip:d@192.0.2.4']);
  });

  test('Path is stored in order and returned in the 200 (RFC 3327 5.3)', async () => {
    const r = await rig();
    const answer = await r.registrar.register(register({
      contacts: ['<sip:alice@192.0.2.10>'], expires: 600, headers: ['Path: <sip:edge1.example.net;lr>, <sip:edge2.example.net;lr>'],
    }), udpSource());
    assert.deepEqual(headerValues(answer, 'Path'), ['<sip:edge1.example.net;lr>', '<sip:edge2.example.net;lr>']);
    assert.deepEqual(r.location.lookup(ALICE)[0].path, ['<sip:edge1.example.net;lr>', '<sip:edge2.example.net;lr>']);
  });

  test('the binding records where the REGISTER came from', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@127.0.0.1:5070>'], expires: 600, headers: ['User-Agent: finch'] }), tcpSource('tcp-7'));
    const [b] = r.location.lookup(ALICE);
    assert.deepEqual(b.received, { protocol: 'tcp', address: '127.0.0.1', port: 40000 });
    assert.equal(b.socket, 'tcp:127.0.0.1:5060');
    assert.equal(b.connectionId, 'tcp-7');
    assert.equal(b.userAgent, 'finch');
    assert.equal(r.location.bindingsFrom('tcp-7')[0], b);
  });

  test('each binding records the listener its own REGISTER came in on, and a refresh from another one updates it', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@127.0.0.1:40000>'], expires: 600 }), tcpSource('tcp-1'));
    await r.registrar.register(register({ aor: 'sip:bob@example.com', contacts: ['<sip:bob@127.0.0.1:5070>'], expires: 600 }), udpSource());
    await r.registrar.register(register({ aor: 'sip:carol@example.com', contacts: ['<sip:carol@[::1]:5070>'], expires: 600 }), udpSource('::1'));
    assert.equal(r.location.lookup(ALICE)[0].socket, 'tcp:127.0.0.1:5060');
    assert.equal(r.location.lookup('sip:bob@example.com')[0].socket, 'udp:0.0.0.0:5060');
    assert.equal(r.location.lookup('sip:carol@example.com')[0].socket, 'udp:[::]:5060');
    const first = r.location.lookup(ALICE)[0];
    await r.registrar.register(register({ contacts: ['<sip:alice@127.0.0.1:40000>'], expires: 600, cseq: 2 }), udpSource('127.0.0.1', 40000));
    const [refreshed] = r.location.lookup(ALICE);
    assert.equal(refreshed.socket, 'udp:0.0.0.0:5060');
    // A refresh keeps the binding's identity (RFC 3261 10.3 step 7) and its contact and Call-ID.
    assert.equal(refreshed.id, first.id);
    assert.equal(refreshed.contact, first.contact);
    assert.equal(refreshed.callId, 'call-1');
    assert.equal(refreshed.aor, ALICE);
  });

  test('a Contact address that is not the source is flagged nat (libpurple writes its interface address)', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.2:5060>'], expires: 600 }), udpSource('127.0.0.1', 5060));
    await r.registrar.register(register({ aor: 'sip:bob@example.com', contacts: ['<sip:bob@127.0.0.1:5080>'], expires: 600 }), udpSource('127.0.0.1', 5080));
    await r.registrar.register(register({ aor: 'sip:carol@example.com', contacts: ['<sip:carol@127.0.0.1:5090>'], expires: 600 }), udpSource('127.0.0.1', 41000));
    assert.deepEqual(r.location.lookup(ALICE)[0].flags, ['nat']);
    assert.deepEqual(r.location.lookup('sip:bob@example.com')[0].flags, []);
    assert.deepEqual(r.location.lookup('sip:carol@example.com')[0].flags, ['nat'], 'UDP from another port');
  });

  test('a Contact that is the source written another way is not flagged nat: IPv6 spellings, IPv4-mapped, a link-local zone', async () => {
    const r = await rig();
    const flagsOf = (aor: string): string[] => r.location.lookup(aor)[0].flags;
    const bind = (user: string, contact: string, source: ReturnType<typeof udpSource>): Promise<unknown> =>
      r.registrar.register(register({ aor: `sip:${user}@example.com`, callId: `call-${user}`, contacts: [contact], expires: 600 }), source);
    await bind('v6', '<sip:v6@[0:0:0:0:0:0:0:1]:5070>', udpSource('::1', 5070));
    await bind('upper', '<sip:upper@[2001:DB8::A]:5070>', udpSource('2001:db8::a', 5070));
    await bind('mapped', '<sip:mapped@[::ffff:127.0.0.1]:5070>', udpSource('127.0.0.1', 5070));
    await bind('mappedtcp', '<sip:mappedtcp@[::ffff:127.0.0.1]:5070;transport=tcp>', tcpSource('tcp-m', '127.0.0.1', 40000));
    // Node reports a link-local peer with its zone (fe80::1%eth0); SIP cannot write one (RFC 3261 25.1).
    await bind('ll', '<sip:ll@[fe80::1]:5070>', udpSource('fe80::1%eth0', 5070));
    for (const user of ['v6', 'upper', 'mapped', 'mappedtcp', 'll']) assert.deepEqual(flagsOf(`sip:${user}@example.com`), [], user);
    // Another address, or over UDP another port, still is nat.
    await bind('other', '<sip:other@[::ffff:127.0.0.2]:5070>', udpSource('127.0.0.1', 5070));
    await bind('port', '<sip:port@[0:0:0:0:0:0:0:1]:5080>', udpSource('::1', 5070));
    await bind('llother', '<sip:llother@[fe80::2]:5070>', udpSource('fe80::1%eth0', 5070));
    for (const user of ['other', 'port', 'llother']) assert.deepEqual(flagsOf(`sip:${user}@example.com`), ['nat'], user);
  });

  test('an outbound flow (Supported: outbound, instance, reg-id) is flagged and the 200 requires outbound', async () => {
    const r = await rig();
    const answer = await r.registrar.register(register({
      contacts: ['<sip:alice@127.0.0.1:40000;transport=tcp>;+sip.instance="<urn:uuid:1>";reg-id=1'], expires: 600, headers: ['Supported: outbound, path'],
    }), tcpSource('tcp-8'));
    assert.deepEqual(headerValues(answer, 'Require'), ['outbound']);
    assert.deepEqual(r.location.lookup(ALICE)[0].flags, ['outbound']);
  });

  test('an outbound flow through an edge proxy whose Path has no ;ob: 439, nothing bound (RFC 5626 6); with ;ob: granted', async () => {
    const r = await rig();
    const flow = { contacts: ['<sip:alice@192.0.2.10:5060>;+sip.instance="<urn:uuid:1>";reg-id=1'], expires: 600 };
    const refusedAnswer = await r.registrar.register(register({ ...flow, headers: ['Supported: outbound, path', 'Path: <sip:edge.example.net;lr>'] }), udpSource('127.0.0.2', 5060));
    assert.equal(refusedAnswer.status, 439);
    assert.match(refusedAnswer.reason, /^First Hop Lacks Outbound Support \(/);
    assert.equal(r.location.lookup(ALICE).length, 0);
    const granted = await r.registrar.register(register({ ...flow, cseq: 2, headers: ['Supported: outbound, path', 'Path: <sip:edge.example.net;lr;ob>'] }), udpSource('127.0.0.2', 5060));
    assert.equal(granted.status, 200);
    assert.deepEqual(headerValues(granted, 'Require'), ['outbound']);
    // A UA that does not ask for outbound is registered through such an edge as any other.
    const plain = await r.registrar.register(register({ ...flow, cseq: 3, headers: ['Path: <sip:edge.example.net;lr>'] }), udpSource('127.0.0.2', 5060));
    assert.equal(plain.status, 200);
    assert.deepEqual(headerValues(plain, 'Require'), []);
  });

  test('the 200 is sent only once the store has the binding', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const base = await rig();
    const slow = {
      all: () => base.repository.all(),
      put: async (b: Parameters<typeof base.repository.put>[0]) => { await gate; return base.repository.put(b); },
      remove: (id: string) => base.repository.remove(id),
    };
    const r = await rig({}, slow);
    let answered = false;
    const pending = r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>'], expires: 600 }), udpSource()).then((a) => { answered = true; return a; });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(answered, false);
    assert.equal(r.location.counts().bindings, 1, 'memory already has it');
    release();
    assert.equal((await pending).status, 200);
    assert.equal((await base.repository.all()).length, 1);
  });
});
