// Datagrams dropped at our UDP sockets, read from Linux's /proc/net/udp and /proc/net/udp6
// (src/transport/udp-drops.ts): the table format, the address notation, and the sum over sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcNetUdp, procAddressHex, udpReceiveDrops } from '../../src/transport/udp-drops.js';

// As this machine's kernel writes them (the drops column edited); udpReceiveDrops' rows name the
// addresses in this host's notation, so that its test holds on any byte order.
const UDP4 = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
12942: 0100007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2684734 2 000000002084adde 17
12950: 00000000:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2684790 2 000000002084adfe 3
`;
const UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
12943: 00000000000000000000000000000000:13C4 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2684735 2 0000000080558dd2 40
12944: 00000000000000000000000001000000:3E6B 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2684736 2 000000009336cee7 0
`;
const LOOPBACK_HERE = procAddressHex('127.0.0.1') as string;
const files = (path: string): string => {
  if (path === '/proc/net/udp') return UDP4.replace('0100007F:13C4', `${LOOPBACK_HERE}:13C4`);
  if (path === '/proc/net/udp6') return UDP6;
  throw new Error(`ENOENT ${path}`);
};

test('parseProcNetUdp reads address, port and drops of each row, skipping the header', () => {
  assert.deepEqual(parseProcNetUdp(UDP4), [
    { addressHex: '0100007F', port: 5060, drops: 17 },
    { addressHex: '00000000', port: 5060, drops: 3 },
  ]);
  assert.equal(parseProcNetUdp(UDP6)[1].port, 0x3e6b);
  assert.deepEqual(parseProcNetUdp('garbage\n\n12: x y\n'), []);
});

test('procAddressHex writes addresses as /proc does: 32-bit words in host byte order', () => {
  assert.equal(procAddressHex('127.0.0.1', true), '0100007F');
  assert.equal(procAddressHex('127.0.0.1', false), '7F000001');
  assert.equal(procAddressHex('0.0.0.0', true), '00000000');
  assert.equal(procAddressHex('::', true), '0'.repeat(32));
  assert.equal(procAddressHex('::1', true), '00000000000000000000000001000000');
  assert.equal(procAddressHex('2001:db8::2', true), 'B80D0120000000000000000002000000');
  assert.equal(procAddressHex('2001:db8::2', false), '20010DB8000000000000000000000002');
  assert.equal(procAddressHex('::ffff:192.0.2.1', true), undefined, 'an embedded IPv4 tail is not guessed at');
  assert.equal(procAddressHex('1::2::3', true), undefined);
  assert.equal(procAddressHex('300.1.1.1', true), undefined);
});

test('udpReceiveDrops sums our sockets only, found by address and port', () => {
  assert.equal(udpReceiveDrops([{ address: '127.0.0.1', port: 5060, family: 4 }], files), 17);
  assert.equal(udpReceiveDrops([{ address: '::', port: 5060, family: 6 }, { address: '0.0.0.0', port: 5060, family: 4 }], files), 43);
  assert.equal(udpReceiveDrops([], files), 0);
});

test('udpReceiveDrops is unknown, not zero, when a socket is not listed or /proc cannot be read', () => {
  assert.equal(udpReceiveDrops([{ address: '127.0.0.1', port: 5070, family: 4 }], files), undefined);
  assert.equal(udpReceiveDrops([{ address: '127.0.0.1', port: 5060, family: 4 }], () => { throw new Error('ENOENT'); }), undefined);
});
