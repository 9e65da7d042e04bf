// RFC 3261 16.7 step 3 on received bytes (removeTopViaBytes): the top via-parm is cut, every other
// octet kept; anything unusual is left to the serializing path (undefined).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../src/sip/parser.js';
import { SipMessage } from '../../src/sip/message.js';
import { removeTopViaBytes } from '../../src/sip/via-rewrite.js';

const head = (lines: string[], body = '', withLength = true): Buffer =>
  Buffer.from(`SIP/2.0 200 OK\r\n${lines.join('\r\n')}\r\n${withLength ? `Content-Length: ${body.length}\r\n` : ''}\r\n${body}`);
const tail = ['From: <sip:a@x>;tag=1', 'To: <sip:b@x>;tag=2', 'Call-ID: c', 'CSeq: 1 MESSAGE'];

function cut(data: Buffer): string | undefined {
  const m = parseMessage(data);
  assert.ok(m instanceof SipMessage);
  return removeTopViaBytes(m, data)?.toString('latin1');
}

test('a Via line of its own goes whole; the rest is unchanged, body included', () => {
  const data = head(['Via: SIP/2.0/UDP p;branch=z9hG4bKp', 'Via: SIP/2.0/UDP a;branch=z9hG4bKa', ...tail], 'hello');
  assert.equal(cut(data), head(['Via: SIP/2.0/UDP a;branch=z9hG4bKa', ...tail], 'hello').toString('latin1'));
});

test('several values on one line: the first value, its comma and the white space after it go', () => {
  const data = head(['v:SIP/2.0/UDP p;branch=z9hG4bKp;x="1,2" ,\tSIP/2.0/UDP a;branch=z9hG4bKa, SIP/2.0/UDP b', ...tail]);
  assert.equal(cut(data), head(['v:SIP/2.0/UDP a;branch=z9hG4bKa, SIP/2.0/UDP b', ...tail]).toString('latin1'));
});

test('compact v and any case; Content-Length as l', () => {
  const data = Buffer.from(`SIP/2.0 200 OK\r\nV : SIP/2.0/UDP p\r\nvIa: SIP/2.0/UDP a\r\n${tail.join('\r\n')}\r\nl: 2\r\n\r\nhi`);
  assert.equal(cut(data), `SIP/2.0 200 OK\r\nvIa: SIP/2.0/UDP a\r\n${tail.join('\r\n')}\r\nl: 2\r\n\r\nhi`);
});

test('unusual messages are left to the serializer', () => {
  const via = ['Via: SIP/2.0/UDP p', 'Via: SIP/2.0/UDP a'];
  assert.equal(cut(head([...via, ...tail], '', false)), undefined, 'no Content-Length');
  assert.equal(cut(Buffer.concat([head([...via, ...tail], 'ab'), Buffer.from('junk')])), undefined, 'octets after the body');
  assert.equal(cut(head(['Via: SIP/2.0/UDP p,', ' SIP/2.0/UDP a', ...tail])), undefined, 'folded top Via');
  assert.equal(cut(head(['Via: SIP/2.0/UDP p,', ...tail])), undefined, 'nothing after the comma');
  assert.equal(cut(Buffer.from(`SIP/2.0 200 OK\r\n${via.join('\n')}\r\n${tail.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`)), undefined, 'bare LF');
  assert.equal(cut(head(tail)), undefined, 'no Via');
});

test('a folded line elsewhere is kept as it is', () => {
  const data = head(['Via: SIP/2.0/UDP p', 'Via: SIP/2.0/UDP a', 'Subject: one', '  two', ...tail]);
  assert.equal(cut(data), head(['Via: SIP/2.0/UDP a', 'Subject: one', '  two', ...tail]).toString('latin1'));
});
