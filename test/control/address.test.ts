// Control addresses: HOST:PORT parsing, and the server's refusal of anything but loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ControlAddressError, DEFAULT_CONTROL, formatControlAddress, isLoopback, parseControlAddress, parseServerControlAddress,
} from '../../src/control/address.js';

test('HOST:PORT with IPv4, bracketed IPv6 and localhost', () => {
  assert.deepEqual(parseControlAddress('127.0.0.1:5099'), { host: '127.0.0.1', port: 5099 });
  assert.deepEqual(parseControlAddress('[::1]:6000'), { host: '::1', port: 6000 });
  assert.deepEqual(parseControlAddress('localhost:0'), { host: '127.0.0.1', port: 0 });
  assert.equal(DEFAULT_CONTROL, '127.0.0.1:5099');
  assert.equal(formatControlAddress({ host: '::1', port: 5099 }), '[::1]:5099');
});

test('malformed addresses are errors that show the expected form', () => {
  for (const bad of ['127.0.0.1', '::1:5099', '127.0.0.1:70000', 'example.com:5099', '[127.0.0.1]:5099', ':5099']) {
    assert.throws(() => parseControlAddress(bad), (err: Error) => err instanceof ControlAddressError, bad);
  }
  assert.throws(() => parseControlAddress('127.0.0.1'), /HOST:PORT \(e\.g\. 127\.0\.0\.1:5099/);
});

test('loopback: 127.0.0.0/8, ::1 in any spelling, IPv4-mapped 127.x', () => {
  for (const yes of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) assert.ok(isLoopback(yes), yes);
  for (const no of ['0.0.0.0', '::', '192.0.2.1', '::ffff:192.0.2.1', '::2', '128.0.0.1', 'localhost']) assert.ok(!isLoopback(no), no);
});

test('the server refuses a non-loopback address, saying why', () => {
  assert.deepEqual(parseServerControlAddress('[::1]:5099'), { host: '::1', port: 5099 });
  for (const bad of ['0.0.0.0:5099', '[::]:5099', '192.0.2.1:5099']) {
    assert.throws(() => parseServerControlAddress(bad), /no authentication and listens on loopback only/, bad);
  }
});
