import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  bindingSuccessResponse, decodeXorMappedAddress, isStunMessage, STUN_MAGIC_COOKIE, stunBindingRequestId,
} from '../../src/sip/stun.js';

function bindingRequest(id = randomBytes(12)): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt16BE(0x0001, 0);
  b.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
  id.copy(b, 8);
  return b;
}

test('a Binding request is recognised, SIP and junk are not', () => {
  const req = bindingRequest();
  assert.equal(isStunMessage(req), true);
  assert.deepEqual(stunBindingRequestId(req), req.subarray(8, 20));
  assert.equal(isStunMessage(Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n')), false);
  assert.equal(stunBindingRequestId(Buffer.concat([req, Buffer.from([0])])), undefined);
});

test('the success response carries the source as XOR-MAPPED-ADDRESS (RFC 5389 15.2), IPv4 and IPv6', () => {
  const id = randomBytes(12);
  for (const [address, port] of [['192.0.2.1', 5060], ['2001:db8::1', 40000], ['::1', 1], ['2001:db8:0:1:2:3:4:5', 65535]] as const) {
    const res = bindingSuccessResponse(bindingRequest(id), address, port);
    assert.ok(res);
    assert.equal(res.readUInt16BE(0), 0x0101);
    assert.deepEqual(res.subarray(8, 20), id);
    assert.deepEqual(decodeXorMappedAddress(res), { address, port });
  }
  // RFC 5769 2.2 style check by hand: port 32853 XOR 0x2112 = 0xa147.
  const res = bindingSuccessResponse(bindingRequest(id), '192.0.2.1', 32853) as Buffer;
  assert.equal(res.readUInt16BE(26), 0xa147);
  assert.deepEqual([...res.subarray(28, 32)], [0xe1, 0x12, 0xa6, 0x43]);
});

test('a Binding success response is not a request', () => {
  const res = bindingSuccessResponse(bindingRequest(), '192.0.2.1', 1) as Buffer;
  assert.equal(bindingSuccessResponse(res, '192.0.2.1', 1), undefined);
});
