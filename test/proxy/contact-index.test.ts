// Requests addressed to a registered contact find its binding, and only while that contact is the
// binding's: an RFC 5626 binding (+sip.instance, reg-id) registered again with another contact URI
// keeps its id, and its old contact must stop matching (it names a device that moved on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContactIndex } from '../../src/proxy/contact-index.js';
import { parseUri } from '../../src/sip/uri.js';
import { register, rig, udpSource } from '../registrar/helpers.js';

const INSTANCE = '+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1';

test('a re-registered instance: the new contact finds the binding, the old one no longer does', async () => {
  const r = await rig();
  const index = new ContactIndex(r.location);
  await r.registrar.register(register({ contacts: [`<sip:alice@192.0.2.10:5070>;${INSTANCE}`], expires: 600 }), udpSource('192.0.2.10', 5070));
  assert.equal(index.find(parseUri('sip:alice@192.0.2.10:5070'))?.aor, 'sip:alice@example.com');
  await r.registrar.register(register({ callId: 'call-2', contacts: [`<sip:alice@192.0.2.10:6000>;${INSTANCE}`], expires: 600 }), udpSource('192.0.2.10', 6000));
  assert.equal(index.find(parseUri('sip:alice@192.0.2.10:6000'))?.contact, 'sip:alice@192.0.2.10:6000');
  assert.equal(index.find(parseUri('sip:alice@192.0.2.10:5070')), undefined, 'the old contact still matches');
  // A refresh with the same contact keeps it findable; un-registering removes it.
  await r.registrar.register(register({ callId: 'call-2', cseq: 2, contacts: [`<sip:alice@192.0.2.10:6000>;${INSTANCE}`], expires: 600 }), udpSource('192.0.2.10', 6000));
  assert.ok(index.find(parseUri('sip:alice@192.0.2.10:6000')));
  await r.registrar.register(register({ callId: 'call-2', cseq: 3, contacts: [`<sip:alice@192.0.2.10:6000>;${INSTANCE}`], expires: 0 }), udpSource('192.0.2.10', 6000));
  assert.equal(index.find(parseUri('sip:alice@192.0.2.10:6000')), undefined);
});

test('two AORs on one contact URI: removing one leaves the other findable', async () => {
  const r = await rig();
  const index = new ContactIndex(r.location);
  await r.registrar.register(register({ aor: 'sip:alice@example.com', contacts: ['<sip:desk@192.0.2.20>'], expires: 600 }), udpSource('192.0.2.20'));
  await r.registrar.register(register({ aor: 'sip:bob@example.com', callId: 'call-b', contacts: ['<sip:desk@192.0.2.20>'], expires: 600 }), udpSource('192.0.2.20'));
  assert.equal(index.find(parseUri('sip:desk@192.0.2.20'))?.aor, 'sip:bob@example.com');
  await r.registrar.register(register({ aor: 'sip:alice@example.com', cseq: 2, contacts: ['<sip:desk@192.0.2.20>'], expires: 0 }), udpSource('192.0.2.20'));
  assert.equal(index.find(parseUri('sip:desk@192.0.2.20'))?.aor, 'sip:bob@example.com');
});

test('a contact finds its binding whichever way its IPv6 or IPv4-mapped host is spelt (RFC 3261 19.1.4)', async () => {
  const r = await rig();
  const index = new ContactIndex(r.location);
  await r.registrar.register(register({ contacts: ['<sip:am@[::ffff:192.0.2.40]:5070>'], expires: 600 }), udpSource('192.0.2.40', 5070));
  await r.registrar.register(register({ aor: 'sip:bob@example.com', callId: 'call-b', contacts: ['<sip:bob@[2001:db8::9]:5070>'], expires: 600 }), udpSource('2001:db8::9', 5070));
  assert.equal(index.find(parseUri('sip:am@192.0.2.40:5070'))?.aor, 'sip:alice@example.com');
  assert.equal(index.find(parseUri('sip:am@[0:0:0:0:0:ffff:c000:228]:5070'))?.aor, 'sip:alice@example.com');
  assert.equal(index.find(parseUri('sip:bob@[2001:DB8:0::9]:5070'))?.aor, 'sip:bob@example.com');
  assert.equal(index.find(parseUri('sip:am@192.0.2.41:5070')), undefined);
});
