// Which address of ours a peer sees us at, for what we write into SIP (Via sent-by, Contact,
// Record-Route) when the socket is a wildcard one (`udp:*`, `tcp:[::]`): such a socket does not say
// which local address a datagram came to or leaves from, and a host with several networks has
// several. The kernel's answer is the source address of its route toward the peer, which a UDP
// socket learns by connect() without sending anything (RFC 3261 18.2.1 wants a sent-by the peer can
// reach; RFC 5658 the same of a Record-Route). Learned once per peer address and cached.
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { addressFamily, normalizeAddress, withoutZone } from './address.js';

/** The source address the kernel would use toward `remote` (no datagram is sent); rejects without a route. */
export function routedSourceAddress(remote: string, family: 4 | 6, port = 9): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.connect(port, remote, () => {
      const local = normalizeAddress(withoutZone(socket.address().address));
      socket.close();
      resolve(local);
    });
  });
}

function isWildcard(address: string): boolean {
  return address === '::' || address === '0.0.0.0';
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

/** Until the route is known: an address of ours in the peer's family (the first interface that has one). */
function firstInterfaceAddress(v6: boolean): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (!info.internal && (info.family === 'IPv6') === v6) return withoutZone(info.address);
  }
  return v6 ? '::1' : '127.0.0.1';
}

export class SourceAddresses {
  private readonly known = new Map<string, string>();
  private readonly learning = new Map<string, Promise<void>>();

  constructor(
    private readonly probe: (peer: string, family: 4 | 6) => Promise<string> = routedSourceAddress,
    /** Peers remembered at most; the cache is emptied when full (addresses rarely change, relearning is cheap). */
    private readonly limit = 4096,
  ) {}

  /**
   * Our address as `peer` sees it, for a socket bound to `bound`: the bound address itself, else the
   * loopback for a loopback peer, else the learned route's source (learning starts on first use; until
   * it is known, the first interface address of the peer's family stands in).
   */
  toward(bound: string, peer: string): string {
    if (!isWildcard(bound)) return withoutZone(bound);
    const remote = normalizeAddress(withoutZone(peer));
    const v6 = remote.includes(':');
    if (isLoopback(remote)) return v6 ? '::1' : '127.0.0.1';
    const known = this.known.get(remote);
    if (known !== undefined) return known;
    void this.learn(remote);
    return firstInterfaceAddress(v6);
  }

  /** Learns the route toward `peer` (at most one probe at a time per peer); resolves when known or failed. */
  learn(peer: string): Promise<void> {
    const remote = normalizeAddress(withoutZone(peer));
    if (this.known.has(remote) || isLoopback(remote)) return Promise.resolve();
    const family = addressFamily(remote);
    if (family === undefined) return Promise.resolve();
    let pending = this.learning.get(remote);
    if (pending === undefined) {
      pending = this.probe(remote, family).then((address) => {
        if (this.known.size >= this.limit) this.known.clear();
        this.known.set(remote, address);
      }, () => undefined).finally(() => this.learning.delete(remote));
      this.learning.set(remote, pending);
    }
    return pending;
  }
}

let shared: SourceAddresses | undefined;

/** The process-wide cache every layer writing our address into SIP uses (tests may make their own). */
export function sharedSourceAddresses(): SourceAddresses {
  shared ??= new SourceAddresses();
  return shared;
}
