// LocationService.entries(), which `ctl ul show` and GET /ul stream from between event-loop turns
// while REGISTERs keep changing the table: each binding at most once, and every binding that is
// there for the whole walk exactly once (README "simplesip ctl": the dump). Found by the audit:
// a REGISTER that replaces an AOR's only binding (RFC 3261 10.3 step 7: same contact URI under
// 19.1.4, new Call-ID) emptied the AOR and made it again at the end of the Map, so a dump already
// past it listed it twice; a binding removed ahead of the cursor made another one skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BindingRecord } from '../../src/store/types.js';
import { register, rig, udpSource } from './helpers.js';

const ids = (list: BindingRecord[]): string[] => list.map((b) => `${b.aor} ${b.contact.replace(/;.*/, '')}`);

test('a dump that meets REGISTERs replacing bindings lists each one once', async () => {
  const r = await rig();
  const n = 20;
  for (let i = 0; i < n; i++) {
    await r.registrar.register(register({ aor: `sip:u${i}@example.com`, callId: `c${i}`, contacts: [`<sip:u${i}@192.0.2.1:5070>`], expires: 600 }), udpSource());
  }
  const walk = r.location.entries();
  const seen: BindingRecord[] = [];
  for (let i = 0; i < n / 2; i++) seen.push(walk.next().value as BindingRecord);
  // Every device registers again with a new Call-ID and another (but equal, 19.1.4) contact URI:
  // the binding is replaced by a new record.
  for (let i = 0; i < n; i++) {
    const answer = await r.registrar.register(register({ aor: `sip:u${i}@example.com`, callId: `d${i}`, contacts: [`<sip:u${i}@192.0.2.1:5070;v=2>`], expires: 600 }), udpSource());
    assert.equal(answer.status, 200);
  }
  assert.ok(r.changes.some((c) => c.type === 'updated' && c.reason === 'replaced'), 'bindings were replaced, not refreshed');
  for (let next = walk.next(); next.done !== true; next = walk.next()) seen.push(next.value);
  assert.equal(seen.length, n, `listed: ${ids(seen).join(', ')}`);
  assert.deepEqual(new Set(ids(seen)).size, n);
});

test('a binding removed ahead of the cursor does not make the dump skip another of the same AOR', async () => {
  const r = await rig();
  const contacts = ['<sip:alice@192.0.2.1>', '<sip:alice@192.0.2.2>', '<sip:alice@192.0.2.3>'];
  await r.registrar.register(register({ contacts, expires: 600 }), udpSource());
  const walk = r.location.entries();
  const first = walk.next().value as BindingRecord;
  await r.location.remove('sip:alice@example.com', first.contact);
  const seen = [first];
  for (let next = walk.next(); next.done !== true; next = walk.next()) seen.push(next.value);
  assert.deepEqual(ids(seen), ['sip:alice@example.com sip:alice@192.0.2.1', 'sip:alice@example.com sip:alice@192.0.2.2', 'sip:alice@example.com sip:alice@192.0.2.3']);
});

test('an AOR unregistered and registered again during the dump is not listed a second time', async () => {
  const r = await rig();
  await r.registrar.register(register({ aor: 'sip:a@example.com', callId: 'a1', contacts: ['<sip:a@192.0.2.1>'], expires: 600 }), udpSource());
  await r.registrar.register(register({ aor: 'sip:b@example.com', callId: 'b1', contacts: ['<sip:b@192.0.2.1>'], expires: 600 }), udpSource());
  const walk = r.location.entries();
  const seen = [walk.next().value as BindingRecord];
  assert.equal(seen[0].aor, 'sip:a@example.com');
  await r.registrar.register(register({ aor: 'sip:a@example.com', callId: 'a1', cseq: 2, contacts: ['<sip:a@192.0.2.1>'], expires: 0 }), udpSource());
  await r.registrar.register(register({ aor: 'sip:a@example.com', callId: 'a1', cseq: 3, contacts: ['<sip:a@192.0.2.1>'], expires: 600 }), udpSource());
  for (let next = walk.next(); next.done !== true; next = walk.next()) seen.push(next.value);
  assert.deepEqual(seen.map((b) => b.aor), ['sip:a@example.com', 'sip:b@example.com']);
});
