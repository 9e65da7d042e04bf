// LocationService: expiry on the timer heap, restore, source index (keepalives, closed connections),
// removal by URI equality, what a failed store write leaves, and memory per binding.
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openStore } from '../../src/store/index.js';
import { SLOT_MS } from '../../src/registrar/expiry.js';
import { dropRestoredStreamBindings, removeOnConnectionClose, trackKeepalives } from '../../src/registrar/keepalive-tracker.js';
import type { TransportEvents } from '../../src/transport/transport-manager.js';
import { StoreError } from '../../src/store/index.js';
import { ManualCommitRepository, register, rig, tcpSource, udpSource, type Rig } from './helpers.js';

const ALICE = 'sip:alice@example.com';

describe('LocationService: expiry', () => {
  test('a binding is removed by its timer, not before its time, at most SLOT_MS after', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>'], expires: 60 }), udpSource());
    r.advance(59_999);
    assert.equal(r.location.counts().bindings, 1);
    r.advance(SLOT_MS);
    assert.equal(r.location.counts().bindings, 0);
    // The 'change' event follows the store's commit.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(r.changes.map((c) => [c.type, c.reason]), [['added', 'registered'], ['removed', 'expired']]);
    assert.equal((await r.repository.all()).length, 0, 'deleted from the store too');
  });

  test('a refresh moves the expiry', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>'], expires: 60 }), udpSource());
    r.advance(50_000);
    await r.registrar.register(register({ cseq: 2, contacts: ['<sip:alice@192.0.2.10>'], expires: 60 }), udpSource());
    r.advance(20_000);
    assert.equal(r.location.counts().bindings, 1);
    r.advance(40_000 + SLOT_MS);
    assert.equal(r.location.counts().bindings, 0);
  });

  test('bindings share heap entries: a thousand bindings expiring together cost one timer', async () => {
    const r = await rig();
    for (let i = 0; i < 1000; i++) {
      await r.registrar.register(register({ aor: `sip:u${i}@example.com`, contacts: [`<sip:u${i}@192.0.2.10>`], expires: 60 }), udpSource());
    }
    assert.equal(r.location.counts().bindings, 1000);
    assert.equal(r.timers.size, 1);
    r.advance(60_000 + SLOT_MS);
    assert.equal(r.location.counts().bindings, 0);
    assert.equal(r.timers.size, 0);
  });
});

describe('LocationService: a burst expiring together', () => {
  // A million bindings registered in one burst expire in one slot; removing them in one go held the
  // server (SIP, timers, the control API) for 17 s. They go a batch per turn of the event loop.
  test('5,000 bindings due in one slot are removed 2,000 per turn, other work running between', async () => {
    const r = await rig();
    for (let i = 0; i < 5000; i++) {
      await r.registrar.register(register({ aor: `sip:b${i}@example.com`, contacts: [`<sip:b${i}@192.0.2.10>`], expires: 60 }), udpSource());
    }
    r.advance(60_000 + SLOT_MS);
    assert.equal(r.location.counts().bindings, 3000, 'the first batch at once');
    let between = false;
    setImmediate(() => { between = r.location.counts().bindings > 0; });
    for (let i = 0; i < 5 && r.location.counts().bindings > 0; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(r.location.counts().bindings, 0, 'all gone within a few turns');
    assert.equal(between, true, 'other work ran while some were still to go');
  });
});

describe('LocationService: restore', () => {
  test('stored bindings come back with their timers; expired ones are deleted', async () => {
    const store = await openStore({ kind: 'memory' });
    const first = await rig({}, store.bindings);
    await first.registrar.register(register({ contacts: ['<sip:alice@192.0.2.10>'], expires: 60 }), udpSource());
    await first.registrar.register(register({ aor: 'sip:bob@example.com', contacts: ['<sip:bob@192.0.2.11>'], expires: 600 }), udpSource());
    first.location.close();

    const second = await rig({}, store.bindings);
    second.clock.now = first.clock.now + 120_000;
    assert.deepEqual(await second.location.restore(), { restored: 1, dropped: 1 });
    assert.equal(second.location.lookup(ALICE).length, 0);
    assert.equal(second.location.lookup('sip:bob@example.com').length, 1);
    assert.equal((await store.bindings.all()).length, 1);
    second.advance(480_000 + SLOT_MS);
    assert.equal(second.location.counts().bindings, 0, 'the restored binding expires on time');
  });
});

describe('LocationService: sources, removal', () => {
  test('a keepalive from a source refreshes lastKeepalive of its bindings only', async () => {
    const r = await rig();
    const transport = new EventEmitter<TransportEvents>();
    trackKeepalives(transport, r.location);
    await r.registrar.register(register({ contacts: ['<sip:alice@127.0.0.1:5070>'], expires: 600 }), udpSource('127.0.0.1', 5070));
    await r.registrar.register(register({ aor: 'sip:bob@example.com', contacts: ['<sip:bob@127.0.0.1:5071>'], expires: 600 }), udpSource('127.0.0.1', 5071));
    const registeredAt = r.clock.now;
    r.clock.now += 30_000;
    transport.emit('keepalive', udpSource('127.0.0.1', 5070), 'nul');
    assert.equal(r.location.lookup(ALICE)[0].lastKeepalive, registeredAt + 30_000);
    assert.equal(r.location.lookup('sip:bob@example.com')[0].lastKeepalive, registeredAt);
  });

  test('a closed connection removes its bindings, except RFC 5626 outbound flows', async () => {
    const r = await rig();
    const transport = new EventEmitter<TransportEvents>();
    removeOnConnectionClose(transport, r.location, { debug() {}, info() {}, warn() {}, error() {} });
    await r.registrar.register(register({ contacts: ['<sip:alice@127.0.0.1:40000;transport=tcp>'], expires: 600 }), tcpSource('tcp-1'));
    await r.registrar.register(register({
      aor: 'sip:bob@example.com', contacts: ['<sip:bob@127.0.0.1:40001;transport=tcp>;+sip.instance="<urn:uuid:b>";reg-id=1'],
      expires: 600, headers: ['Supported: outbound'],
    }), tcpSource('tcp-1'));
    await r.registrar.register(register({ aor: 'sip:carol@example.com', contacts: ['<sip:carol@127.0.0.1:40002;transport=tcp>'], expires: 600 }), tcpSource('tcp-2'));
    transport.emit('connection-closed', tcpSource('tcp-1'), 'peer');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(r.location.lookup(ALICE).length, 0);
    assert.equal(r.changes.find((c) => c.type === 'removed')?.reason, 'connection-closed');
    assert.equal(r.location.lookup('sip:bob@example.com').length, 1, 'the outbound flow waits for its UA to reconnect');
    assert.equal(r.location.lookup('sip:carol@example.com').length, 1);
    assert.deepEqual(r.location.lookup('sip:bob@example.com')[0].flags, ['outbound', 'flow-closed'], 'shown as closed (ctl ul show)');
    assert.deepEqual(r.location.lookup('sip:carol@example.com')[0].flags, [], 'an open connection is no closed flow');
    // Registered again over a new connection: open.
    await r.registrar.register(register({
      aor: 'sip:bob@example.com', cseq: 2, contacts: ['<sip:bob@127.0.0.1:40001;transport=tcp>;+sip.instance="<urn:uuid:b>";reg-id=1'],
      expires: 600, headers: ['Supported: outbound'],
    }), tcpSource('tcp-3'));
    assert.deepEqual(r.location.lookup('sip:bob@example.com')[0].flags, ['outbound']);
  });

  test('outbound flows restored at start are flagged flow-closed: their connections went with the previous process', async () => {
    const store = await openStore({ kind: 'memory' });
    const first = await rig({}, store.bindings);
    await first.registrar.register(register({
      aor: 'sip:bob@example.com', contacts: ['<sip:bob@127.0.0.1:40001;transport=tcp>;+sip.instance="<urn:uuid:b>";reg-id=1'],
      expires: 600, headers: ['Supported: outbound'],
    }), tcpSource('tcp-1'));
    assert.deepEqual(first.location.lookup('sip:bob@example.com')[0].flags, ['outbound']);
    first.location.close();

    const second = await rig({}, store.bindings);
    await second.location.restore();
    assert.equal(await dropRestoredStreamBindings(second.location), 0);
    assert.deepEqual(second.location.lookup('sip:bob@example.com')[0].flags, ['outbound', 'flow-closed']);
  });

  test('a binding registered through an edge proxy (Path) does not go with the proxy\'s connection, nor with a restart', async () => {
    const store = await openStore({ kind: 'memory' });
    const r = await rig({}, store.bindings);
    const transport = new EventEmitter<TransportEvents>();
    removeOnConnectionClose(transport, r.location, { debug() {}, info() {}, warn() {}, error() {} });
    const edge = 'Path: <sip:127.0.0.2:5060;transport=tcp;lr>';
    await r.registrar.register(register({ contacts: ['<sip:carol@192.0.2.20:5060>'], expires: 600, headers: [edge] }), tcpSource('tcp-edge'));
    await r.registrar.register(register({
      aor: 'sip:bob@example.com', contacts: ['<sip:bob@192.0.2.21:5060>;+sip.instance="<urn:uuid:b>";reg-id=1'],
      expires: 600, headers: ['Supported: outbound', 'Path: <sip:127.0.0.2:5060;transport=tcp;lr;ob>'],
    }), tcpSource('tcp-edge'));
    await r.registrar.register(register({ aor: 'sip:dave@example.com', contacts: ['<sip:dave@127.0.0.1:40003;transport=tcp>'], expires: 600 }), tcpSource('tcp-edge'));
    transport.emit('connection-closed', tcpSource('tcp-edge'), 'peer');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(r.location.lookup(ALICE).length, 1, 'the edge keeps the flow to carol: her binding stays (RFC 3327)');
    assert.equal(r.location.lookup('sip:bob@example.com').length, 1);
    assert.equal(r.location.lookup('sip:dave@example.com').length, 0, 'a device on that connection itself goes');
    r.location.close();

    const second = await rig({}, store.bindings);
    await second.location.restore();
    assert.equal(await dropRestoredStreamBindings(second.location), 0);
    assert.equal(second.location.lookup(ALICE).length, 1, 'kept across a restart');
  });

  test('remove(aor, contact) matches by URI equality and says how many', async () => {
    const r = await rig();
    await r.registrar.register(register({ contacts: ['<sip:alice@HOST.example.net;transport=tcp>', '<sip:alice@192.0.2.11>'], expires: 600 }), udpSource());
    assert.equal(await r.location.remove(ALICE, 'sip:alice@host.example.net;transport=TCP'), 1);
    assert.equal(r.changes.at(-1)?.reason, 'admin');
    assert.deepEqual([...r.location.entries()].map((b) => b.contact), ['sip:alice@192.0.2.11']);
    assert.equal(await r.location.remove(ALICE), 1);
    assert.deepEqual(r.location.counts(), { aors: 0, bindings: 0 });
  });
});

describe('LocationService: a store write that fails changes nothing', () => {
  // RFC 3261 10.3 step 7: binding updates are visible if and only if all of them succeed; a failed
  // database commit is a 500 and the tentative updates are removed. The repository here commits
  // when told, as a group commit does, and fails each write as a full disk does.
  const CONTACT = '<sip:alice@192.0.2.10>';

  /** What memory holds: contact, CSeq and seconds left of each binding of alice. */
  function held(r: Rig): Array<[string, number, number]> {
    return r.location.lookup(ALICE).map((b) => [b.contact, b.cseq, (b.expiresAt - r.clock.now) / 1000]);
  }

  /** The same, of the rows the store holds. */
  async function stored(repo: ManualCommitRepository, r: Rig): Promise<Array<[string, number, number]>> {
    return (await repo.all()).filter((b) => b.aor === ALICE).sort((a, b) => a.contact.localeCompare(b.contact))
      .map((b) => [b.contact, b.cseq, (b.expiresAt - r.clock.now) / 1000]);
  }

  async function registered(spec: Parameters<typeof register>[0]): Promise<{ r: Rig; repo: ManualCommitRepository }> {
    const repo = await ManualCommitRepository.open();
    const r = await rig({}, repo);
    const first = r.registrar.register(register(spec), udpSource());
    await repo.commit();
    await first;
    r.changes.length = 0;
    return { r, repo };
  }

  async function failing(r: Rig, repo: ManualCommitRepository, spec: Parameters<typeof register>[0]): Promise<void> {
    const refused = assert.rejects(r.registrar.register(register(spec), udpSource()), StoreError);
    await repo.commit(false);
    await refused;
  }

  test('a new binding: not in memory, never announced', async () => {
    const repo = await ManualCommitRepository.open();
    const r = await rig({}, repo);
    const refused = assert.rejects(r.registrar.register(register({ contacts: [CONTACT], expires: 600 }), udpSource()), StoreError);
    assert.equal(r.location.lookup(ALICE).length, 1, 'visible while its commit is pending');
    await repo.commit(false);
    await refused;
    assert.deepEqual(held(r), []);
    assert.deepEqual(r.location.counts(), { aors: 0, bindings: 0 });
    assert.deepEqual(r.changes.map((c) => [c.type, c.reason]), [['removed', 'rolled-back']], 'only the undo, for what was seen meanwhile');
    assert.deepEqual(await stored(repo, r), []);
  });

  test('a refresh: the binding keeps its CSeq and its expiry, and expires then', async () => {
    const { r, repo } = await registered({ contacts: [CONTACT], expires: 60 });
    await failing(r, repo, { cseq: 2, contacts: [CONTACT], expires: 3600 });
    assert.deepEqual(held(r), [['sip:alice@192.0.2.10', 1, 60]]);
    assert.deepEqual(await stored(repo, r), held(r));
    r.advance(60_000 + SLOT_MS);
    assert.deepEqual(held(r), [], 'gone at its old time, not an hour later');
  });

  test('an un-REGISTER, and Contact: *: the binding stays', async () => {
    const { r, repo } = await registered({ contacts: [CONTACT, '<sip:alice@192.0.2.11>'], expires: 600 });
    await failing(r, repo, { cseq: 2, contacts: [CONTACT], expires: 0 });
    await failing(r, repo, { cseq: 3, contacts: ['*'], expires: 0 });
    assert.deepEqual(held(r).map(([c]) => c).sort(), ['sip:alice@192.0.2.10', 'sip:alice@192.0.2.11']);
    assert.deepEqual(await stored(repo, r), held(r).sort((a, b) => a[0].localeCompare(b[0])));
    assert.deepEqual(r.changes.map((c) => [c.type, c.reason]), [['updated', 'rolled-back'], ['updated', 'rolled-back'], ['updated', 'rolled-back']]);
  });

  test('a binding that takes another key (a plain contact over an instance binding): the old one is back, no new one', async () => {
    const instance = '+sip.instance="<urn:uuid:00000000-0000-0000-0000-000000000001>";reg-id=1';
    const { r, repo } = await registered({ contacts: [`${CONTACT};${instance}`], expires: 600 });
    await failing(r, repo, { callId: 'other', contacts: [CONTACT], expires: 600 });
    assert.deepEqual(r.location.lookup(ALICE).map((b) => [b.contact, b.instance]), [['sip:alice@192.0.2.10', '<urn:uuid:00000000-0000-0000-0000-000000000001>']]);
    assert.deepEqual((await repo.all()).map((b) => b.instance), ['<urn:uuid:00000000-0000-0000-0000-000000000001>']);
  });

  test('ul rm (remove): the bindings stay', async () => {
    const { r, repo } = await registered({ contacts: [CONTACT], expires: 600 });
    const refused = assert.rejects(r.location.remove(ALICE), StoreError);
    assert.equal(r.location.lookup(ALICE).length, 0, 'gone from lookups while the commit is pending');
    await repo.commit(false);
    await refused;
    assert.deepEqual(held(r), [['sip:alice@192.0.2.10', 1, 600]]);
  });

  test('two refreshes in one commit window, both failing: the binding as it was before both', async () => {
    const { r, repo } = await registered({ contacts: [CONTACT], expires: 600 });
    const a = assert.rejects(r.registrar.register(register({ cseq: 2, contacts: [CONTACT], expires: 1200 }), udpSource()), StoreError);
    const b = assert.rejects(r.registrar.register(register({ cseq: 3, contacts: [CONTACT], expires: 1800 }), udpSource()), StoreError);
    await repo.commit(false);
    await a;
    await b;
    assert.deepEqual(held(r), [['sip:alice@192.0.2.10', 1, 600]]);
  });

  test('in one commit window, a new binding fails and its refresh is stored: memory and store hold the refresh', async () => {
    const repo = await ManualCommitRepository.open();
    const r = await rig({}, repo);
    const a = assert.rejects(r.registrar.register(register({ contacts: [CONTACT], expires: 600 }), udpSource()), StoreError);
    const b = r.registrar.register(register({ cseq: 2, contacts: [CONTACT], expires: 1200 }), udpSource());
    await repo.commit([false, true]);
    await a;
    await b;
    assert.deepEqual(held(r), [['sip:alice@192.0.2.10', 2, 1200]]);
    assert.deepEqual(await stored(repo, r), held(r), 'stored whole, not as an update of a row that never was');
  });

  test('in one commit window, a refresh from a new port fails and the next one is stored: memory and store agree on the port', async () => {
    // The second refresh changes only the times of the binding as the first left it: written as an
    // update of those times, the row would keep the old port the first one never replaced.
    const { r, repo } = await registered({ contacts: [CONTACT], expires: 600 });
    const a = assert.rejects(r.registrar.register(register({ cseq: 2, contacts: [CONTACT], expires: 600 }), udpSource('127.0.0.1', 6000)), StoreError);
    const b = r.registrar.register(register({ cseq: 3, contacts: [CONTACT], expires: 600 }), udpSource('127.0.0.1', 6000));
    await repo.commit([false, true]);
    await a;
    await b;
    const inMemory = r.location.lookup(ALICE).map((x) => [x.received.port, x.cseq]);
    assert.deepEqual(inMemory, [[6000, 3]]);
    assert.deepEqual((await repo.all()).map((x) => [x.received.port, x.cseq]), inMemory);
  });

  test('in one commit window, a refresh is stored and an un-REGISTER after it fails: the refresh stands', async () => {
    const { r, repo } = await registered({ contacts: [CONTACT], expires: 600 });
    const a = r.registrar.register(register({ cseq: 2, contacts: [CONTACT], expires: 1200 }), udpSource());
    const b = assert.rejects(r.registrar.register(register({ cseq: 3, contacts: [CONTACT], expires: 0 }), udpSource()), StoreError);
    await repo.commit([true, false]);
    await a;
    await b;
    assert.deepEqual(held(r), [['sip:alice@192.0.2.10', 2, 1200]]);
    assert.deepEqual(await stored(repo, r), held(r));
  });

  test('an expired binding goes even when its delete fails (the next start drops the row)', async () => {
    const { r, repo } = await registered({ contacts: [CONTACT], expires: 60 });
    r.advance(60_000 + SLOT_MS);
    await repo.commit(false);
    assert.deepEqual(held(r), []);
    assert.deepEqual(r.changes.map((c) => [c.type, c.reason]), [['removed', 'expired']]);
  });
});

describe('LocationService: memory', () => {
  test('a binding costs well under 1 KB of heap', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const repository = { all: async () => [], put: async () => {}, remove: async () => {} };
    const r = await rig({}, repository);
    r.location.removeAllListeners('change');
    const N = 50_000;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < N; i++) {
      const req = register({
        aor: `sip:user${i}@example.com`, callId: `c${i}-a84b4c76e66710@pc33.example.com`,
        contacts: [`<sip:user${i}@10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:5060;transport=udp>`], expires: 3600,
        headers: ['User-Agent: Pidgin 2.14.12 (libpurple 2.14.12)'],
      });
      await r.registrar.register(req, udpSource(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 5060));
    }
    gc();
    const perBinding = (process.memoryUsage().heapUsed - before) / N;
    assert.equal(r.location.counts().bindings, N);
    assert.ok(perBinding < 1024, `${Math.round(perBinding)} bytes per binding`);
  });
});
