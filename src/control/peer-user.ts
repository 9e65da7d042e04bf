// Which local user opened a loopback TCP connection to the control API. Loopback keeps other hosts
// out, not the other accounts of this one: without this check any local user could add SIP users,
// change passwords or read stored messages. Kamailio's ctl module answers on a Unix socket of mode
// 0600 for the same reason; here the HTTP API keeps its address and the kernel says who is calling:
// Linux lists every TCP socket with the uid of its owner in /proc/net/tcp and /proc/net/tcp6 (proc(5)).
import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { endianness } from 'node:os';

/** Who may use the control API: the server's own user and root. */
export function mayControl(uid: number, serverUid: number): boolean {
  return uid === serverUid || uid === 0;
}

/** An address as /proc/net/tcp* writes it: 32-bit words in host byte order, in hex. */
function procAddress(address: string, ipv6Table: boolean): string | undefined {
  let bytes: number[];
  if (isIPv4(address)) {
    const v4 = address.split('.').map(Number);
    // A dual-stack socket lists an IPv4 peer as ::ffff:a.b.c.d in tcp6.
    bytes = ipv6Table ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4] : v4;
  } else {
    if (!ipv6Table) return undefined;
    const expanded = expandIPv6(address);
    if (expanded === undefined) return undefined;
    bytes = expanded;
  }
  const little = endianness() === 'LE';
  let text = '';
  for (let i = 0; i < bytes.length; i += 4) {
    const word = bytes.slice(i, i + 4);
    for (const b of little ? word.reverse() : word) text += b.toString(16).padStart(2, '0');
  }
  return text.toUpperCase();
}

/** The 16 bytes of an IPv6 address (an embedded IPv4 tail included), or undefined. */
function expandIPv6(address: string): number[] | undefined {
  let text = address.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  const tail: number[] = [];
  if (v4) {
    const parts = v4[1].split('.').map(Number);
    tail.push(...parts);
    text = `${text.slice(0, -v4[1].length)}0:0`;
  }
  const [head, rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - left.length - right.length;
  if (rest === undefined ? left.length !== 8 : missing < 0) return undefined;
  const groups = [...left, ...Array<string>(rest === undefined ? 0 : missing).fill('0'), ...right].map((g) => parseInt(g, 16));
  if (groups.some((g) => !(g >= 0 && g <= 0xffff))) return undefined;
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

export interface Endpoints {
  /** The caller's end (the server's `socket.remoteAddress` and `remotePort`). */
  peerAddress: string;
  peerPort: number;
  /** Our end. */
  localAddress: string;
  localPort: number;
}

/**
 * The uid owning the caller's end of a loopback connection; `undefined` when the kernel has no such
 * table (not Linux), `null` when the connection is not listed (it is already gone).
 */
export async function peerUid(c: Endpoints, readTable: (name: string) => Promise<string> = readProcTable): Promise<number | null | undefined> {
  let sawTable = false;
  for (const name of ['tcp', 'tcp6']) {
    const ipv6 = name === 'tcp6';
    const local = procAddress(c.peerAddress, ipv6);
    const remote = procAddress(c.localAddress, ipv6);
    let table: string;
    try {
      table = await readTable(name);
    } catch {
      continue;
    }
    sawTable = true;
    if (local === undefined || remote === undefined) continue;
    const wantedLocal = `${local}:${c.peerPort.toString(16).toUpperCase().padStart(4, '0')}`;
    const wantedRemote = `${remote}:${c.localPort.toString(16).toUpperCase().padStart(4, '0')}`;
    for (const line of table.split('\n')) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
      const fields = line.trim().split(/\s+/);
      if (fields[1] === wantedLocal && fields[2] === wantedRemote) return Number(fields[7]);
    }
  }
  return sawTable ? null : undefined;
}

function readProcTable(name: string): Promise<string> {
  return readFile(`/proc/net/${name}`, 'latin1');
}
