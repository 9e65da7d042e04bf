import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseVia } from '../../src/sip/headers/via.js';
import { reconnectDestination, routeResponse } from '../../src/transport/response-routing.js';
import type { SocketIdentity, TransportProtocol } from '../../src/transport/types.js';

function source(protocol: TransportProtocol, address = '198.51.100.7', port = 40000): SocketIdentity {
  return {
    protocol,
    local: { address: '0.0.0.0', port: 5060, family: 4 },
    remote: { address, port, family: address.includes(':') ? 6 : 4 },
    listener: `${protocol} 0.0.0.0:5060`,
    connectionId: protocol === 'udp' ? undefined : `${protocol}-9`,
  };
}

const symmetric = { symmetric: true };
const strict = { symmetric: false };

test('symmetric (default): UDP answers the packet source, whatever the Via says', () => {
  const via = parseVia('SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK1;received=198.51.100.7');
  assert.deepEqual(routeResponse(() => via, source('udp'), symmetric), {
    kind: 'datagram', listener: 'udp 0.0.0.0:5060', destination: { address: '198.51.100.7', port: 40000 },
  });
});

test('strict RFC 3261 18.2.2: received + sent-by port, rport, maddr, sent-by, default port', () => {
  const route = (text: string) => {
    const r = routeResponse(() => parseVia(text), source('udp'), strict);
    return r?.kind === 'datagram' ? r.destination : r;
  };
  assert.deepEqual(route('SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK1;received=198.51.100.7'), { address: '198.51.100.7', port: 5062 });
  // RFC 3581 4: received + rport.
  assert.deepEqual(route('SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK1;received=198.51.100.7;rport=40000'), { address: '198.51.100.7', port: 40000 });
  assert.deepEqual(route('SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK1;maddr=192.0.2.9;received=198.51.100.7'), { address: '192.0.2.9', port: 5062 });
  assert.deepEqual(route('SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK1'), { address: '192.0.2.4', port: 5060 });
  assert.deepEqual(route('SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bK1'), { address: '2001:db8::9', port: 5070 });
  assert.equal(route('SIP/2.0/UDP host.example;branch=z9hG4bK1'), undefined);
});

test('a Via that says TCP on a request that came over UDP is answered over UDP', () => {
  const via = parseVia('SIP/2.0/TCP 10.0.0.1:5062;branch=z9hG4bK1;received=198.51.100.7');
  for (const options of [symmetric, strict]) {
    assert.equal(routeResponse(() => via, source('udp'), options)?.kind, 'datagram');
  }
});

test('streams answer on the connection; TCP/TLS know where to reconnect (received, sent-by port)', () => {
  const via = parseVia('SIP/2.0/TLS 10.0.0.1:5063;branch=z9hG4bK1;received=198.51.100.7;rport=40000');
  const unread = (): never => assert.fail('the Via is not needed to answer on the connection');
  assert.deepEqual(routeResponse(unread, source('tls'), symmetric), { kind: 'connection', protocol: 'tls', connectionId: 'tls-9' });
  assert.deepEqual(reconnectDestination(via, 'tls'), { address: '198.51.100.7', port: 5063 });
  assert.deepEqual(reconnectDestination(parseVia('SIP/2.0/TLS 198.51.100.7;branch=z9hG4bK1'), 'tls'), { address: '198.51.100.7', port: 5061 });
  assert.deepEqual(reconnectDestination(parseVia('SIP/2.0/TCP 198.51.100.7;branch=z9hG4bK1'), 'tcp'), { address: '198.51.100.7', port: 5060 });
  assert.equal(reconnectDestination(parseVia('SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK1;received=198.51.100.7'), 'ws'), undefined);
});

test('symmetric UDP routing does not need a readable Via', () => {
  const unread = (): never => assert.fail('the Via is not needed for symmetric routing');
  assert.equal(routeResponse(unread, source('udp'), symmetric)?.kind, 'datagram');
});
