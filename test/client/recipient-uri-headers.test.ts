// A recipient URI with headers (`sip:bob@example.com?Subject=hi`) cannot be a Request-URI
// (RFC 3261 19.1.5): it is an invalid-option error before anything is sent, not a request the
// server refuses as malformed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipClientError } from '../../src/index.js';
import { scriptedPeerFixture } from './helpers.js';

const fixture = scriptedPeerFixture();

test('sendMessage, subscribe and composing refuse a URI with headers and send nothing', async () => {
  const { peer, ua } = fixture;
  const withHeaders = (err: unknown) => err instanceof SipClientError && err.code === 'invalid-option' && /has headers .*RFC 3261 19\.1\.5/.test(err.message);
  await assert.rejects(ua.sendMessage('sip:bob@example.com?Subject=hi', 'hi'), withHeaders);
  await assert.rejects(ua.sendMessage('bob@example.com?Route=%3Csip:evil%3E', 'hi'), withHeaders);
  await assert.rejects(ua.subscribe('sip:bob@example.com?Subject=hi'), withHeaders);
  assert.throws(() => ua.composing('sip:bob@example.com?Subject=hi'), withHeaders);
  assert.equal(peer.requests.length, 0, 'nothing was sent');
  assert.equal((await ua.sendMessage('sip:bob@example.com;transport=udp', 'hi')).status, 200);
});
