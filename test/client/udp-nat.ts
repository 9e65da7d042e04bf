// A one-client UDP NAT on loopback for client tests. The client sends to `port`; datagrams go on to
// the server from an "external" socket, whose port is the client's public port as the server sees
// it; rebind() moves the client to a new external socket, as a NAT does when it drops a binding and
// makes a new one. Whatever arrives on any external socket goes back to the client.
import { createSocket, type Socket } from 'node:dgram';

function bound(): Promise<Socket> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve(socket)));
}

export class UdpNat {
  private client: { address: string; port: number } | undefined;
  private readonly externals: Socket[] = [];
  private closed = false;

  private constructor(
    private readonly inside: Socket,
    private readonly server: { address: string; port: number },
    /** Holds each datagram for the client this long: a slow link. */
    private readonly delayToClientMs = 0,
    /** Datagrams from the client it accepts are lost on the way to the server: a lossy link. */
    private readonly loseToServer: (data: Buffer) => boolean = () => false,
  ) {
    inside.on('message', (data, from) => {
      this.client = { address: from.address, port: from.port };
      if (!this.loseToServer(data)) this.current.send(data, server.port, server.address);
    });
  }

  static async start(server: { address: string; port: number },
    options: { delayToClientMs?: number; loseToServer?: (data: Buffer) => boolean } = {}): Promise<UdpNat> {
    const nat = new UdpNat(await bound(), server, options.delayToClientMs, options.loseToServer);
    await nat.rebind();
    return nat;
  }

  /** Where the client sends. */
  get port(): number {
    return this.inside.address().port;
  }

  /** The client's public port as the server sees it now. */
  get externalPort(): number {
    return this.current.address().port;
  }

  /** A new binding: later datagrams leave from a new port (the old one still delivers late answers). */
  async rebind(): Promise<void> {
    const socket = await bound();
    socket.on('message', (data) => {
      const client = this.client;
      if (client === undefined) return;
      if (this.delayToClientMs === 0) this.inside.send(data, client.port, client.address);
      else setTimeout(() => { if (!this.closed) this.inside.send(data, client.port, client.address); }, this.delayToClientMs);
    });
    this.externals.push(socket);
  }

  close(): void {
    this.closed = true;
    this.inside.close();
    for (const s of this.externals) s.close();
  }

  private get current(): Socket {
    return this.externals[this.externals.length - 1];
  }
}
