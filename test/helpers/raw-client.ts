// A raw SIP peer for tests: sends bytes exactly as given and collects what comes back.
import { createSocket, type Socket } from 'node:dgram';

export class RawUdpPeer {
  private readonly socket: Socket;
  private readonly inbox: Buffer[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly family: 4 | 6) {
    this.socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    this.socket.on('message', (data) => {
      this.inbox.push(data);
      const w = this.waiters;
      this.waiters = [];
      for (const wake of w) wake();
    });
  }

  static async open(address = '127.0.0.1'): Promise<RawUdpPeer> {
    const peer = new RawUdpPeer(address.includes(':') ? 6 : 4);
    await new Promise<void>((resolve) => peer.socket.bind(0, address, resolve));
    return peer;
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(data: Buffer | string, port: number, address = this.family === 6 ? '::1' : '127.0.0.1'): void {
    this.socket.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, port, address);
  }

  /** The next datagram, or undefined after `timeoutMs`. */
  async receive(timeoutMs = 1000): Promise<Buffer | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    return this.inbox.shift();
  }

  close(): void {
    this.socket.close();
  }
}

/** CRLF-joined SIP text from lines (the last line of headers followed by an empty line). */
export function sipText(lines: string[], body = ''): string {
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

export function optionsRequest(target: string, via: string, opts: { callId?: string; branch?: string } = {}): string {
  const branch = opts.branch ?? `z9hG4bK${Math.random().toString(36).slice(2)}`;
  return sipText([
    `OPTIONS ${target} SIP/2.0`,
    `Via: SIP/2.0/${via};branch=${branch};rport`,
    'Max-Forwards: 70',
    `To: <${target}>`,
    'From: <sip:tester@example.test>;tag=t1',
    `Call-ID: ${opts.callId ?? Math.random().toString(36).slice(2)}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
  ]);
}
