// Open stream connections, found by id or by peer (protocol + remote address + port), so requests
// and responses to a peer reuse its connection (RFC 3261 18.1.1, 18.2.2; RFC 5923 spirit).
import type { Connection } from './connection.js';
import type { TransportProtocol } from './types.js';

export function peerKey(protocol: TransportProtocol, address: string, port: number): string {
  return `${protocol} ${address} ${port}`;
}

export class ConnectionPool {
  private readonly byId = new Map<string, Connection>();
  private readonly byPeer = new Map<string, Connection>();

  constructor(readonly maxConnections: number) {}

  get size(): number {
    return this.byId.size;
  }

  get full(): boolean {
    return this.byId.size >= this.maxConnections;
  }

  add(connection: Connection): void {
    const { connectionId, protocol, remote } = connection.identity;
    this.byId.set(connectionId as string, connection);
    // The newest connection to a peer wins: it is the one the peer is most likely to keep.
    this.byPeer.set(peerKey(protocol, remote.address, remote.port), connection);
  }

  remove(connection: Connection): void {
    const { connectionId, protocol, remote } = connection.identity;
    this.byId.delete(connectionId as string);
    const key = peerKey(protocol, remote.address, remote.port);
    if (this.byPeer.get(key) === connection) this.byPeer.delete(key);
  }

  byConnectionId(id: string): Connection | undefined {
    const c = this.byId.get(id);
    return c && !c.closed ? c : undefined;
  }

  toPeer(protocol: TransportProtocol, address: string, port: number): Connection | undefined {
    const c = this.byPeer.get(peerKey(protocol, address, port));
    return c && !c.closed ? c : undefined;
  }

  all(): Connection[] {
    return [...this.byId.values()];
  }
}
