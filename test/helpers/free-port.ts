// Ports nothing listens on right now, for peers that cannot be told to pick their own.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

function tcpFree(port: number, address: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, address, () => {
      const bound = (srv.address() as { port: number }).port;
      srv.close(() => resolve(bound));
    });
  });
}

function udpFree(port: number, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    sock.once('error', () => resolve(false));
    sock.bind(port, address, () => sock.close(() => resolve(true)));
  });
}

/** `pick()` proposes a port (0: any); the first one free for both TCP and UDP wins. */
async function findPort(address: string, pick: () => number, what: string): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tcpFree(pick(), address);
    if (port !== undefined && await udpFree(port, address)) return port;
  }
  throw new Error(`no free ${what} found on ${address}`);
}

/** The first port the kernel hands out on its own (bind to 0, outgoing connections): Linux's ip_local_port_range. */
function firstEphemeralPort(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 12000 ? low : 32768;
  } catch {
    return 32768;
  }
}

const FIRST_PORT = 10000;
const PAST_LAST_PORT = firstEphemeralPort();

/**
 * A port free for both UDP and TCP on the given address, below the ephemeral range: a port the
 * kernel picked for us once (bind to 0) can be handed to an outgoing connection of any process
 * before the peer we give it to binds it (a Kamailio of the interop matrix lost its TLS port so).
 */
export function freePort(address = '127.0.0.1'): Promise<number> {
  return findPort(address, () => FIRST_PORT + Math.floor(Math.random() * (PAST_LAST_PORT - FIRST_PORT)), 'port');
}

/**
 * A free port of at most four digits: sipsak 0.9.8 cuts five-digit ports in the Request-URI it
 * writes (`-s sip:127.0.0.1:51312` goes out as `sip:127.0.0.1:5131`).
 */
export function freeFourDigitPort(address = '127.0.0.1'): Promise<number> {
  return findPort(address, () => 6000 + Math.floor(Math.random() * 4000), 'four-digit port');
}

/**
 * A port P with P and P+1 both free for UDP and TCP: baresip binds UDP+TCP on its sip_listen port
 * and TLS on the next one (peers README), and fails to start if either is taken.
 */
export async function freePortPair(address = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort(address);
    if (port < 65535 && await tcpFree(port + 1, address) !== undefined && await udpFree(port + 1, address)) return port;
  }
  throw new Error(`no free port pair found on ${address}`);
}
