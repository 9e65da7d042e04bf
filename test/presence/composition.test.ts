// Composition rules (composition.ts) without sockets: registration-derived presence, the summary
// first tuple libpurple reads, notes, extension elements, unique ids, neutral documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composePresence, MAX_DOCUMENT_BYTES, neutralPresence, splitPidf, SUMMARY_TUPLE_ID, uncappedBytes } from '../../src/presence/composition.js';
import { overallBasic, parsePidf, PidfError } from '../../src/presence/pidf.js';
import { pidf } from './presence-peer.js';

const E = 'sip:bob@example.com';

test('no binding is closed whatever was published; bindings without publications are open', () => {
  const open = splitPidf(pidf(E, 'open', { note: 'here' }));
  const gone = composePresence(E, [open], false);
  assert.equal(gone.basic, 'closed');
  assert.doesNotMatch(gone.body, /here/);
  assert.equal(composePresence(E, [], true).basic, 'open');
  assert.equal(composePresence(E, [], false).basic, 'closed');
});

test('a published closed counts as its device gone: open only when some publication is open', () => {
  const closed = splitPidf(pidf(E, 'closed', { note: 'bye' }));
  const open = splitPidf(pidf(E, 'open', { note: 'in a meeting' }));
  assert.equal(composePresence(E, [closed], true).basic, 'closed');
  const both = composePresence(E, [closed, open], true);
  assert.equal(both.basic, 'open');
  assert.equal(both.note, 'in a meeting', 'the note of an open device wins');
});

test('the first tuple is the summary with basic and note; the document parses as PIDF with every tuple', () => {
  const a = splitPidf(pidf(E, 'open', { note: 'in a meeting', tupleId: 'x' }));
  const b = splitPidf(pidf(E, 'closed', { tupleId: 'x', extra: '<rpid:activities xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"><rpid:away/></rpid:activities>' }));
  const c = composePresence(E, [a, b], true);
  const doc = parsePidf(c.body);
  assert.equal(doc.tuples[0].id, SUMMARY_TUPLE_ID);
  assert.equal(doc.tuples[0].basic, 'open');
  assert.deepEqual(doc.tuples[0].notes, ['in a meeting']);
  assert.deepEqual(doc.tuples.map((t) => t.id), [SUMMARY_TUPLE_ID, 'x', 'x-2']);
  assert.equal(overallBasic(doc), 'open');
  assert.match(c.body, /<rpid:away\/>/);
  assert.equal(doc.entity, E);
});

test('neutral document: closed, no note; malformed bodies throw PidfError', () => {
  const doc = parsePidf(neutralPresence(E));
  assert.equal(doc.tuples.length, 1);
  assert.equal(overallBasic(doc), 'closed');
  assert.throws(() => splitPidf('<presence'), PidfError);
  assert.throws(() => splitPidf('<foo xmlns="urn:ietf:params:xml:ns:pidf"/>'), PidfError);
});

test('the composed document never exceeds 60,000 bytes: the summary note goes first, then the oldest publications; basic stays right', () => {
  const oldOpen = splitPidf(pidf(E, 'open', { note: 'o'.repeat(30_000), tupleId: 'old' }));
  const newClosed = splitPidf(pidf(E, 'closed', { note: 'n'.repeat(35_000), tupleId: 'new' }));
  assert.ok(uncappedBytes(E, [newClosed, oldOpen], true) > 90_000, 'what a PUBLISH is refused for');
  const c = composePresence(E, [newClosed, oldOpen], true);
  assert.ok(Buffer.byteLength(c.body) <= MAX_DOCUMENT_BYTES, `${Buffer.byteLength(c.body)} bytes`);
  const doc = parsePidf(c.body);
  assert.deepEqual(doc.tuples.map((t) => t.id), [SUMMARY_TUPLE_ID, 'new'], 'the oldest publication went');
  assert.equal(doc.tuples[0].basic, 'open', 'the summary still counts the open device');
  assert.deepEqual(doc.tuples[0].notes, []);
  // Within the cap nothing is dropped.
  const small = composePresence(E, [splitPidf(pidf(E, 'open', { note: 'hi' }))], true);
  assert.deepEqual(parsePidf(small.body).tuples[0].notes, ['hi']);
});
