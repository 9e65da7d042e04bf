import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { harness, parse, reply, request, source } from './helpers.js';
import type { ServerTransaction } from '../../src/transaction/server-transaction.js';
import type { SipMessage } from '../../src/sip/message.js';
import type { InviteServerTransaction } from '../../src/transaction/invite-server-transaction.js';

function collect(h: ReturnType<typeof harness>): { txs: ServerTransaction[]; acks: Array<[SipMessage, InviteServerTransaction | undefined]> } {
  const txs: ServerTransaction[] = [];
  const acks: Array<[SipMessage, InviteServerTransaction | undefined]> = [];
  h.layer.on('request', (tx) => txs.push(tx));
  h.layer.on('ack', (ack, _source, invite) => acks.push([ack, invite]));
  return { txs, acks };
}

function fixture(name: string): SipMessage {
  return parse(readFileSync(new URL(`../fixtures/torture/rfc4475/${name}.dat`, import.meta.url), 'latin1'));
}

test('finch: identical branch, Call-ID and tags from two sent-by ports are two transactions (RFC 3261 17.2.3)', () => {
  const h = harness();
  const { txs } = collect(h);
  // libpurple never seeds rand(): two finch processes differ only in sent-by port and From/To.
  const alice = request('MESSAGE', { branch: 'z9hG4bK1804289383', sentBy: '127.0.0.1:16000', fromUser: 'alice' });
  const carol = request('MESSAGE', { branch: 'z9hG4bK1804289383', sentBy: '127.0.0.1:16001', fromUser: 'carol' });
  h.layer.receive(alice, source('udp', 16000, '127.0.0.1'));
  h.layer.receive(carol, source('udp', 16001, '127.0.0.1'));
  assert.equal(txs.length, 2);
  assert.notEqual(txs[0], txs[1]);
  assert.equal(h.layer.counts().server, 2);
  txs[0].respond(reply(alice, 200));
  txs[1].respond(reply(carol, 404));
  // each retransmission gets its own transaction's answer, on its own path
  h.layer.receive(request('MESSAGE', { branch: 'z9hG4bK1804289383', sentBy: '127.0.0.1:16001', fromUser: 'carol' }), source('udp', 16001, '127.0.0.1'));
  const last = h.transport.responses.at(-1);
  assert.equal(last?.response.status, 404);
  assert.equal(last?.source.remote.port, 16001);
  assert.equal(txs.length, 2);
});

test('the method is part of the key: same branch and sent-by with another method is another transaction', () => {
  const h = harness();
  const { txs } = collect(h);
  h.layer.receive(request('MESSAGE', { branch: 'z9hG4bK-same' }), source());
  h.layer.receive(request('OPTIONS', { branch: 'z9hG4bK-same' }), source());
  assert.equal(txs.length, 2);
});

test('sent-by hosts compare case-insensitively; the branch is otherwise all that matters for RFC 3261 requests', () => {
  const h = harness();
  const { txs } = collect(h);
  h.layer.receive(request('MESSAGE', { sentBy: 'UA.Example.COM:5062', callId: 'a' }), source());
  // a retransmission (the Call-ID differing would be a broken peer, but 17.2.3 does not look at it)
  h.layer.receive(request('MESSAGE', { sentBy: 'ua.example.com:5062', callId: 'b' }), source());
  assert.equal(txs.length, 1);
  // an absent port is not the same sent-by as an explicit one
  h.layer.receive(request('MESSAGE', { sentBy: 'ua.example.com' }), source());
  assert.equal(txs.length, 2);
});

test('RFC 4475 badbranch: a branch that is only the magic cookie falls back to RFC 2543 matching', () => {
  const h = harness();
  const { txs } = collect(h);
  const msg = fixture('badbranch');
  assert.equal(msg.topVia()?.branch, 'z9hG4bK');
  h.layer.receive(msg, source());
  h.layer.receive(fixture('badbranch'), source());
  assert.equal(txs.length, 1, 'a retransmission is absorbed');
  // Same bare-cookie branch and sent-by, but another Call-ID: under branch matching this would be
  // taken for a retransmission; under RFC 2543 rules it is a new transaction.
  const other = parse(readFileSync(new URL('../fixtures/torture/rfc4475/badbranch.dat', import.meta.url), 'latin1').replace('badbranch.sadonfo23i420jv0as0derf3j3n', 'another-call'));
  h.layer.receive(other, source());
  assert.equal(txs.length, 2);
});

test('RFC 4475 inv2543: a branch-less INVITE is matched on Request-URI, tags, Call-ID, CSeq and top Via; its ACK by the response To tag', () => {
  const h = harness();
  const { txs, acks } = collect(h);
  const invite = fixture('inv2543');
  assert.equal(invite.topVia()?.branch, undefined);
  h.layer.receive(invite, source());
  h.layer.receive(fixture('inv2543'), source());
  assert.equal(txs.length, 1, 'the retransmission is absorbed');
  const tx = txs[0];
  tx.respond(reply(invite, 486, 'srv-tag'));
  assert.equal(tx.state, 'completed');

  // An ACK with another To tag is not for this transaction: it goes to the TU.
  const ackText = (toTag: string): string =>
    [
      'ACK sip:UserB@example.com SIP/2.0',
      'Via: SIP/2.0/UDP iftgw.example.com',
      'From: <sip:+13035551111@ift.client.example.net;user=phone>',
      `To: sip:+16505552222@ss1.example.net;user=phone;tag=${toTag}`,
      'Call-ID: inv2543.1717@ift.client.example.com',
      'CSeq: 56 ACK',
      'Max-Forwards: 70',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  h.layer.receive(parse(ackText('someone-else')), source());
  assert.equal(acks.length, 1);
  assert.equal(acks[0][1], undefined);
  assert.equal(tx.state, 'completed');

  h.layer.receive(parse(ackText('srv-tag')), source());
  assert.equal(tx.state, 'confirmed', 'the ACK carrying our tag matched the INVITE transaction');
  assert.equal(acks.length, 1, 'and was absorbed');

  // Another CSeq is another transaction.
  h.layer.receive(parse(readFileSync(new URL('../fixtures/torture/rfc4475/inv2543.dat', import.meta.url), 'latin1').replace('CSeq: 56 INVITE', 'CSeq: 57 INVITE')), source());
  assert.equal(txs.length, 2);
});

test('an ACK for a 2xx (its own branch) matches no transaction and goes to the TU', () => {
  const h = harness();
  const { txs, acks } = collect(h);
  const invite = request('INVITE', { branch: 'z9hG4bK-inv' });
  h.layer.receive(invite, source());
  txs[0].respond(reply(invite, 200));
  const ack = request('ACK', { branch: 'z9hG4bK-ack-of-2xx', toTag: 'to-1' });
  h.layer.receive(ack, source());
  assert.equal(acks.length, 1);
  assert.equal(acks[0][0], ack);
  assert.equal(acks[0][1], undefined);
  assert.equal(h.layer.counts().server, 1, 'an ACK never creates a transaction');
});

test('CANCEL is its own transaction and finds the INVITE it cancels (RFC 3261 9.2); retransmitted CANCELs are absorbed', () => {
  const h = harness();
  const { txs } = collect(h);
  const cancels: Array<[ServerTransaction, InviteServerTransaction | undefined]> = [];
  h.layer.on('cancel', (cancelTx, inviteTx) => cancels.push([cancelTx, inviteTx]));
  const invite = request('INVITE', { branch: 'z9hG4bK-c1', sentBy: '192.0.2.10:5062' });
  h.layer.receive(invite, source());
  // a finch twin with the same branch on another port: the CANCEL must not find it
  h.layer.receive(request('INVITE', { branch: 'z9hG4bK-c1', sentBy: '192.0.2.10:5063', fromUser: 'carol' }), source('udp', 5063));
  assert.equal(txs.length, 2);

  const cancel = request('CANCEL', { branch: 'z9hG4bK-c1', sentBy: '192.0.2.10:5062' });
  h.layer.receive(cancel, source());
  assert.equal(cancels.length, 1);
  assert.equal(cancels[0][1], txs[0]);
  assert.equal(cancels[0][0].request, cancel);
  assert.equal(txs.length, 2, 'a CANCEL is not reported as a request');
  cancels[0][0].respond(reply(cancel, 200));
  txs[0].respond(reply(invite, 487));
  h.layer.receive(request('CANCEL', { branch: 'z9hG4bK-c1', sentBy: '192.0.2.10:5062' }), source());
  assert.equal(cancels.length, 1);
  assert.deepEqual(h.transport.responses.map((r) => r.response.status), [200, 487, 200]);

  h.layer.receive(request('CANCEL', { branch: 'z9hG4bK-unknown' }), source());
  assert.equal(cancels.length, 2);
  assert.equal(cancels[1][1], undefined, 'a CANCEL for nothing we know: the TU answers 481');
});

test('CANCEL matching under RFC 2543 rules', () => {
  const h = harness();
  const { txs } = collect(h);
  const cancels: Array<InviteServerTransaction | undefined> = [];
  h.layer.on('cancel', (_c, inviteTx) => cancels.push(inviteTx));
  h.layer.receive(fixture('inv2543'), source());
  const cancel = parse(
    [
      'CANCEL sip:UserB@example.com SIP/2.0',
      'Via: SIP/2.0/UDP iftgw.example.com',
      'From: <sip:+13035551111@ift.client.example.net;user=phone>',
      'To: sip:+16505552222@ss1.example.net;user=phone',
      'Call-ID: inv2543.1717@ift.client.example.com',
      'CSeq: 56 CANCEL',
      'Max-Forwards: 70',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
  h.layer.receive(cancel, source());
  assert.deepEqual(cancels, [txs[0]]);
});

test('responses matching no client transaction are stray; messages without a Via are malformed', () => {
  const h = harness();
  const strays: SipMessage[] = [];
  const malformed: string[] = [];
  h.layer.on('stray-response', (r) => strays.push(r));
  h.layer.on('malformed', (_m, _s, e) => malformed.push(e.reason));
  h.layer.receive(reply(request('MESSAGE'), 200), source());
  assert.equal(strays.length, 1);
  const noVia = parse('OPTIONS sip:a@example.com SIP/2.0\r\nFrom: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
  h.layer.receive(noVia, source());
  assert.equal(malformed.length, 1);
  assert.match(malformed[0], /Via/);
  assert.equal(h.layer.counts().server, 0);
});

test('sendStateless hands a response to the transport without creating a transaction', async () => {
  const h = harness();
  const req = request('MESSAGE');
  await h.layer.sendStateless(reply(req, 403), source('udp', 6000));
  assert.equal(h.transport.responses.length, 1);
  assert.equal(h.transport.responses[0].source.remote.port, 6000);
  assert.deepEqual(h.layer.counts(), { server: 0, client: 0 });
});
