// Which local user opened a loopback TCP connection to the control API. Loopback keeps other hosts
// out, not the other accounts of this one: without this check any local user could add SIP users,
// change passwords or read stored messages. Kamailio's ctl module answers on a Unix socket of mode
// 0600 for the same reason; here the HTTP API keeps its address and the kernel says who is calling:
// Linux lists every TCP socket with the uid of its owner in /proc/net/tcp and /proc/net/tcp6 (proc(5)).
import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { ipv4Bytes } from '../sip/ip-bytes.js';
import { procAddressHex } from '../transport/udp-drops.js';

/** Who may use the control API: the server's own user and root. */
export function mayControl(uid: number, serverUid: number): boolean {
  return uid === serverUid || uid === 0;
}

/**
 * An address as /proc/net/tcp* writes it (procAddressHex, as for /proc/net/udp*): in tcp6 an IPv4
 * peer of a dual-stack socket is listed as ::ffff:a.b.c.d, written here in hex groups.
 */
function procAddress(address: string, ipv6Table: boolean): string | undefined {
  if (!isIPv4(address)) return ipv6Table ? procAddressHex(address) : undefined;
  if (!ipv6Table) return procAddressHex(address);
  const [a, b, c, d] = ipv4Bytes(address) as number[];
  return procAddressHex(`::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`);
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
