// RFC 3261 17.1.4: a client transaction whose request left over a connection that then closes,
// before a final response, fails at once with a transport error (the TU answers 503, 8.1.3.1),
// instead of waiting out Timer F or B (32 s). Other connections' transactions, and transactions
// that already have their final answer, are not touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, reply, request, settle, source, target } from './helpers.js';
import { track } from './track.js';

test('the connection a MESSAGE and an INVITE left by closes: both fail at once; a transaction on another connection goes on', async () => {
  const { clock, layer } = harness();
  const errors: string[] = [];
  layer.on('transport-error', (e) => errors.push(e.message));
  const message = layer.sendRequest(request('MESSAGE', { transport: 'TCP' }), target('tcp'));
  const inviteReq = request('INVITE', { transport: 'TCP', branch: 'z9hG4bK-invite-1' });
  const invite = layer.sendRequest(inviteReq, target('tcp'));
  const other = layer.sendRequest(request('OPTIONS', { transport: 'TCP', branch: 'z9hG4bK-other' }), { ...target('tcp'), port: 5099 });
  await settle(); // the sends resolve: each transaction learns its connection
  const messageLog = track(message), inviteLog = track(invite), otherLog = track(other);
  // The fake transport gives every stream send the connection 'conn-1': take the OPTIONS off it.
  other.connection = { ...other.connection!, connectionId: 'conn-2' };
  layer.receive(reply(inviteReq, 180), source('tcp'));
  assert.equal(invite.state, 'proceeding');
  clock.to(1000);

  layer.connectionClosed('conn-1');
  assert.deepEqual(messageLog, ['transport-error conn-1 closed before a final response', 'terminated']);
  assert.deepEqual(inviteLog, ['provisional 180', 'transport-error conn-1 closed before a final response', 'terminated']);
  assert.deepEqual(otherLog, []);
  assert.equal(errors.length, 2, 'the layer reports each failure once');
  assert.equal(layer.counts().client, 1, 'only the OPTIONS on conn-2 is left');
  clock.to(40_000);
  assert.deepEqual(messageLog, ['transport-error conn-1 closed before a final response', 'terminated'], 'no timeout after the failure');
  assert.deepEqual(otherLog, ['timeout', 'terminated']);
});

test('a transaction with its final answer is not failed by a later close; an unknown connection changes nothing', async () => {
  const { layer } = harness();
  const inviteReq = request('INVITE', { transport: 'TCP', branch: 'z9hG4bK-invite-2' });
  const invite = layer.sendRequest(inviteReq, target('tcp'));
  await settle();
  const log = track(invite);
  layer.receive(reply(inviteReq, 200), source('tcp'));
  assert.equal(invite.state, 'accepted', 'RFC 6026: a 2xx moves the INVITE to Accepted');
  layer.connectionClosed('conn-9');
  layer.connectionClosed('conn-1');
  assert.deepEqual(log, ['final 200'], 'an answered INVITE is not failed by its connection closing');
});

test('over UDP there is no connection: nothing fails', async () => {
  const { layer } = harness();
  const tx = layer.sendRequest(request('MESSAGE'), target('udp'));
  await settle();
  const log = track(tx);
  layer.connectionClosed('conn-1');
  assert.deepEqual(log, []);
  assert.equal(tx.state, 'trying');
});
