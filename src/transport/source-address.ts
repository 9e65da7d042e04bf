// Which address of ours a peer sees us at, for what we write into SIP (Via sent-by, Contact,
// Record-Route) when the socket is a wildcard one (`udp:*`, `tcp:[::]`): such a socket does not say
// which local address a datagram came to or leaves from, and a host with several networks has
// several. The kernel's answer is the source address of its route toward the peer, which a UDP
// socket learns by connect() without sending anything (RFC 3261 18.2.1 wants a sent-by the peer can
// reach; RFC 5658 the same of a Record-Route). Learned per peer address and cached for a while.
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { normalizeAddress, withoutZone } from './address.js';

/**
 * The source address the kernel would use toward `remote` (no datagram is sent). `remote` keeps its
 * `%zone` when it has one: a link-local peer has no route without it. Rejects without a route.
 */
export function routedSourceAddress(remote: string, family: 4 | 6, port = 9): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    const fail = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', fail);
    // With a callback, a failed connect (EINVAL, ENETUNREACH) is its argument, not an 'error' event.
    socket.connect(port, remote, (err?: Error) => {
      if (err) return fail(err);
      const local = normalizeAddress(withoutZone(socket.address().address));
      if (isWildcard(local)) return fail(new Error(`no source address toward ${remote}`));
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

function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

/** Entries are learned again after this long (an address may move: DHCP, temporary IPv6 addresses). */
const FRESH_MS = 5 * 60_000;
/** The stand-in addresses (first interface of each family) are read again after this long. */
const STAND_IN_MS = 30_000;

interface Learned {
  /** Undefined: the probe failed, the stand-in is used until the entry is stale. */
  address: string | undefined;
  at: number;
}

export class SourceAddresses {
  private readonly known = new Map<string, Learned>();
  private readonly learning = new Map<string, Promise<void>>();
  private standIns: { v4: string; v6: string; at: number } | undefined;

  constructor(
    private readonly probe: (peer: string, family: 4 | 6) => Promise<string> = routedSourceAddress,
    /** Peers remembered at most; the oldest is forgotten first. */
    private readonly limit = 65_536,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Our address as `peer` (an address as the transport reports it: never `::ffff:`, a link-local one
   * with its `%zone`) sees it, for a socket bound to `bound`: the bound address itself, else the
   * loopback for a loopback peer, else the learned route's source, else (not learned yet, or no
   * route) the first interface address of the peer's family. Never a wildcard, never a `%zone`.
   */
  toward(bound: string, peer: string): string {
    if (!isWildcard(bound)) return withoutZone(bound);
    const remote = normalizeAddress(peer);
    if (isLoopback(remote)) return familyOf(remote) === 6 ? '::1' : '127.0.0.1';
    const entry = this.known.get(remote);
    if (entry === undefined || this.now() - entry.at > FRESH_MS) void this.learn(remote);
    return entry?.address ?? this.standIn(familyOf(remote));
  }

  /**
   * A promise while the route toward `peer` is still to be learned for a socket bound to `bound`
   * (wildcard, peer not loopback, nothing fresh known, success or failure); undefined when toward()
   * can answer now. Callers about to write our address into a dialog wait for it.
   */
  pending(bound: string, peer: string): Promise<void> | undefined {
    if (!isWildcard(bound)) return undefined;
    const remote = normalizeAddress(peer);
    if (isLoopback(remote)) return undefined;
    const entry = this.known.get(remote);
    return entry !== undefined && this.now() - entry.at <= FRESH_MS ? undefined : this.learn(remote);
  }

  /**
   * For a socket bound to `bound`: starts learning the route toward `peer` (an address as the
   * transport reports it) unless something is known of it; one Map lookup when it is.
   */
  warm(bound: string, peer: string): void {
    if (isWildcard(bound) && !this.known.has(peer) && !this.learning.has(peer) && !isLoopback(peer)) void this.learn(peer);
  }

  /** Learns the route toward `peer` (one probe at a time per peer); resolves once known or failed. */
  learn(peer: string): Promise<void> {
    const remote = normalizeAddress(peer);
    let pending = this.learning.get(remote);
    if (pending === undefined) {
      pending = this.probe(remote, familyOf(remote)).then(
        (address) => this.remember(remote, address),
        () => this.remember(remote, undefined),
      ).finally(() => this.learning.delete(remote));
      this.learning.set(remote, pending);
    }
    return pending;
  }

  private remember(remote: string, address: string | undefined): void {
    this.known.delete(remote);
    if (this.known.size >= this.limit) this.known.delete(this.known.keys().next().value as string);
    this.known.set(remote, { address, at: this.now() });
  }

  /** The first interface address of a family (read at most every 30 s), else the loopback. */
  private standIn(family: 4 | 6): string {
    if (this.standIns === undefined || this.now() - this.standIns.at > STAND_IN_MS) {
      let v4: string | undefined;
      let v6: string | undefined;
      for (const list of Object.values(networkInterfaces())) {
        for (const info of list ?? []) {
          if (info.internal) continue;
          if (info.family === 'IPv4') v4 ??= info.address;
          else v6 ??= withoutZone(info.address);
        }
      }
      this.standIns = { v4: v4 ?? '127.0.0.1', v6: v6 ?? '::1', at: this.now() };
    }
    return family === 6 ? this.standIns.v6 : this.standIns.v4;
  }
}

let shared: SourceAddresses | undefined;

/** The process-wide cache every layer writing our address into SIP uses (tests may make their own). */
export function sharedSourceAddresses(): SourceAddresses {
  shared ??= new SourceAddresses();
  return shared;
}
