// The JSON view of a binding: the field names and formats operators' scripts depend on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toBindingView } from '../../src/control/binding-view.js';
import { binding } from './fake-context.js';

const CONTRACT = [
  'aor', 'contact', 'expires', 'q', 'callId', 'cseq', 'userAgent', 'received', 'path', 'state', 'flags',
  'socket', 'methods', 'instance', 'regId', 'lastKeepalive', 'lastModified',
];

test('every field is present, in the documented order, with null for absent values', () => {
  const now = Date.UTC(2026, 10, 24, 21, 30, 0);
  const view = toBindingView(binding({ expiresAt: now + 60_000, lastModified: now }), now);
  assert.deepEqual(Object.keys(view), CONTRACT);
  assert.equal(view.q, null);
  assert.equal(view.userAgent, null);
  assert.equal(view.methods, null);
  assert.equal(view.instance, null);
  assert.equal(view.regId, null);
  assert.equal(view.lastKeepalive, null);
  assert.equal(view.lastModified, '2026-11-24T21:30:00.000Z');
  assert.equal(view.expires, 60);
});

test('full binding: received with the transport and IPv6 in brackets, socket as bound, times in ISO 8601', () => {
  const now = Date.UTC(2026, 10, 24, 21, 30, 0);
  const view = toBindingView(binding({
    q: 0.5, userAgent: 'Pidgin', received: { protocol: 'tcp', address: '2001:db8::7', port: 40112 },
    socket: 'tcp:[::]:5060', path: ['<sip:edge.example.com;lr>'], flags: ['nat', 'outbound'], methods: ['INVITE', 'MESSAGE'],
    instance: 'urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6', regId: 1, lastKeepalive: now - 1000,
    expiresAt: now + 1500,
  }), now);
  assert.equal(view.received, 'tcp:[2001:db8::7]:40112');
  assert.equal(view.socket, 'tcp:[::]:5060');
  assert.equal(view.q, 0.5);
  assert.equal(view.expires, 2, 'rounded up: an active binding never shows 0');
  assert.deepEqual(view.path, ['<sip:edge.example.com;lr>']);
  assert.equal(view.lastKeepalive, '2026-11-24T21:29:59.000Z');
  assert.equal(view.state, 'active');
});

test('state: active, expired past its expiry, dead when the location service flags it', () => {
  const now = Date.now();
  assert.equal(toBindingView(binding({ expiresAt: now + 1 }), now).state, 'active');
  const expired = toBindingView(binding({ expiresAt: now - 5000 }), now);
  assert.equal(expired.state, 'expired');
  assert.equal(expired.expires, 0);
  assert.equal(toBindingView(binding({ flags: ['nat', 'dead'] }), now).state, 'dead');
});
