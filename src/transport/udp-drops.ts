// Datagrams the kernel dropped at our UDP sockets because their receive queue was full: Linux lists
// every UDP socket of the network namespace in /proc/net/udp and /proc/net/udp6, with a `drops`
// column counted since the socket was made (udp(7)). Read on request (ctl stats, /metrics), never on
// the SIP path. Elsewhere, or without /proc, the count is unknown.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { ipv4Bytes, ipv6Bytes } from '../sip/ip-bytes.js';
import type { Endpoint } from './types.js';

export interface ProcUdpSocket {
  /** The local address as /proc writes it: hex, each 32-bit word in the host's byte order. */
  addressHex: string;
  port: number;
  drops: number;
}

/** The rows of /proc/net/udp or /proc/net/udp6 (the header line and malformed lines skipped). */
export function parseProcNetUdp(text: string): ProcUdpSocket[] {
  const rows: ProcUdpSocket[] = [];
  for (const line of text.split('\n')) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
    const fields = line.trim().split(/\s+/);
    if (fields.length < 13 || !fields[0].endsWith(':')) continue;
    const [addressHex, portHex] = fields[1].split(':');
    const drops = Number(fields[12]);
    if (portHex === undefined || !Number.isInteger(drops)) continue;
    rows.push({ addressHex: addressHex.toUpperCase(), port: parseInt(portHex, 16), drops });
  }
  return rows;
}

/** `address` written as /proc writes local addresses (32-bit words in the host's order), or undefined. */
export function procAddressHex(address: string, littleEndian = endianness() === 'LE'): string | undefined {
  const ipv6 = address.includes(':');
  // An IPv6 address with an embedded IPv4 tail is not guessed at (our listeners never bind one).
  if (ipv6 && address.includes('.')) return undefined;
  const bytes = ipv6 ? ipv6Bytes(address) : ipv4Bytes(address);
  if (bytes === undefined) return undefined;
  let hex = '';
  for (let word = 0; word < bytes.length; word += 4) {
    for (let i = 0; i < 4; i++) hex += bytes[word + (littleEndian ? 3 - i : i)].toString(16).padStart(2, '0');
  }
  return hex.toUpperCase();
}

type ReadFile = (path: string) => string;

/** Dropped datagrams summed over `sockets` (bound address and port), or undefined where /proc cannot tell. */
export function udpReceiveDrops(sockets: readonly Endpoint[], read: ReadFile = (p) => readFileSync(p, 'utf8')): number | undefined {
  const tables = new Map<4 | 6, ProcUdpSocket[]>();
  let total = 0;
  for (const socket of sockets) {
    const hex = procAddressHex(socket.address);
    if (hex === undefined) return undefined;
    let rows = tables.get(socket.family);
    if (rows === undefined) {
      try {
        rows = parseProcNetUdp(read(socket.family === 6 ? '/proc/net/udp6' : '/proc/net/udp'));
      } catch {
        return undefined;
      }
      tables.set(socket.family, rows);
    }
    const row = rows.find((r) => r.port === socket.port && r.addressHex === hex);
    if (row === undefined) return undefined;
    total += row.drops;
  }
  return total;
}
