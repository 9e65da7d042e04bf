import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseListenSpec } from '../../src/transport/listen-spec.js';
import { TransportError } from '../../src/transport/errors.js';
import { boundFamilies, listenerDescription, listenerName } from '../../src/transport/listener-address.js';

test('listen specs of every transport and address form', () => {
  assert.deepEqual(parseListenSpec('udp:0.0.0.0:5060'), { protocol: 'udp', host: '0.0.0.0', port: 5060 });
  assert.deepEqual(parseListenSpec('udp:[::]:5060'), { protocol: 'udp', host: '::', port: 5060 });
  assert.deepEqual(parseListenSpec('tcp:*:5060'), { protocol: 'tcp', host: '*', port: 5060 });
  assert.deepEqual(parseListenSpec('tls:[::1]:5061'), { protocol: 'tls', host: '::1', port: 5061 });
  assert.deepEqual(parseListenSpec('ws:127.0.0.1:8080'), { protocol: 'ws', host: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseListenSpec('wss:*:8443'), { protocol: 'wss', host: '*', port: 8443 });
  assert.deepEqual(parseListenSpec('UDP:127.0.0.1:0'), { protocol: 'udp', host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseListenSpec('tls:*'), { protocol: 'tls', host: '*', port: 5061 });
  assert.deepEqual(parseListenSpec('udp:[::ffff:127.0.0.1]:5060'), { protocol: 'udp', host: '127.0.0.1', port: 5060 });
});

test('bad listen specs say what is wrong', () => {
  const bad: Array<[string, RegExp]> = [
    ['udp6:*:5060', /transport must be one of udp, tcp, tls, ws, wss, not "udp6"/],
    ['udp:::1:5060', /IPv6 address must be written in brackets/],
    ['udp:[::1:5060', /unclosed/],
    ['udp:localhost:5060', /"localhost" is not an IP address or \*/],
    ['udp:[192.0.2.1]:5060', /not an IPv6 address/],
    ['tcp:*:65536', /bad port "65536"/],
    ['tcp:*:abc', /bad port/],
    ['ws:*', /ws needs a port/],
    ['5060', /no transport/],
  ];
  for (const [spec, message] of bad) {
    assert.throws(() => parseListenSpec(spec), (err: unknown) => {
      assert.ok(err instanceof TransportError);
      assert.equal(err.code, 'bad-listen-spec');
      assert.match(err.message, message);
      return true;
    }, spec);
  }
});

test('listener names and descriptions say what the socket really is', () => {
  assert.equal(listenerName('udp', '::', 5060), 'udp [::]:5060');
  assert.equal(listenerDescription('udp [::]:5060', [4, 6]), 'udp [::]:5060 (IPv4 and IPv6)');
  assert.equal(listenerDescription('udp 0.0.0.0:5060', [4]), 'udp 0.0.0.0:5060 (IPv4 only)');
  assert.equal(listenerDescription('tcp [::1]:5070', [6]), 'tcp [::1]:5070 (IPv6 only)');
  assert.deepEqual(boundFamilies('udp', '0.0.0.0', false), [4]);
  assert.deepEqual(boundFamilies('udp', '::1', false), [6]);
  assert.deepEqual(boundFamilies('udp', '::', true), [6]);
  // libuv clears IPV6_V6ONLY on TCP sockets itself: dual-stack whatever net.ipv6.bindv6only says.
  assert.deepEqual(boundFamilies('tcp', '::', false), [4, 6]);
});
