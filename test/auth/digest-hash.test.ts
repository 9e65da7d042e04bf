import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { computeHa1, computeResponse, digestHash, digestsEqual, parseAlgorithm } from '../../src/auth/digest-hash.js';

test('RFC 2617 3.5 example (Mufasa, MD5, qop=auth)', () => {
  const ha1 = computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
  const response = computeResponse({
    algorithm: 'MD5', ha1, nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', method: 'GET', uri: '/dir/index.html',
    qop: { nc: '00000001', cnonce: '0a4f113b' },
  });
  assert.equal(response, '6629fae49393a05397450978507c4ef1');
});

test('RFC 2069 example (no qop): KD(HA1, nonce:HA2)', () => {
  const ha1 = computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'CircleOfLife');
  const response = computeResponse({ algorithm: 'MD5', ha1, nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', method: 'GET', uri: '/dir/index.html' });
  assert.equal(response, '1949323746fe6a43ef61f9606e7febea');
});

test('RFC 7616 3.9.1 example, SHA-256 and MD5 (password "Circle of Life", errata 4495)', () => {
  const common = {
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', method: 'GET', uri: '/dir/index.html',
    qop: { nc: '00000001', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' },
  };
  const sha = computeHa1('SHA-256', 'Mufasa', 'http-auth@example.org', 'Circle of Life');
  assert.equal(computeResponse({ algorithm: 'SHA-256', ha1: sha, ...common }), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  const md5 = computeHa1('MD5', 'Mufasa', 'http-auth@example.org', 'Circle of Life');
  assert.equal(computeResponse({ algorithm: 'MD5', ha1: md5, ...common }), '8ca523f5e9506fed4657c9700eebdbec');
});

test('hashes are lower-case hex of the UTF-8 text', () => {
  assert.equal(digestHash('MD5', ''), 'd41d8cd98f00b204e9800998ecf8427e');
  assert.equal(digestHash('MD5', 'é'), createHash('md5').update(Buffer.from([0xc3, 0xa9])).digest('hex'));
  assert.match(digestHash('SHA-256', 'x'), /^[0-9a-f]{64}$/);
});

test('algorithm names: absent is MD5, case-insensitive, -sess and others unsupported', () => {
  assert.equal(parseAlgorithm(undefined), 'MD5');
  assert.equal(parseAlgorithm('md5'), 'MD5');
  assert.equal(parseAlgorithm('sha-256'), 'SHA-256');
  assert.equal(parseAlgorithm('MD5-sess'), undefined);
  assert.equal(parseAlgorithm('SHA-512-256'), undefined);
});

test('digest comparison: case-insensitive on the received side, length mismatch is false', () => {
  assert.equal(digestsEqual('abc123', 'ABC123'), true);
  assert.equal(digestsEqual('abc123', 'abc124'), false);
  assert.equal(digestsEqual('abc123', 'abc12'), false);
  assert.equal(digestsEqual('abc123', ''), false);
});
