// How long a datagram waits in a UDP socket's receive queue before this thread reads it. A
// timestamped datagram goes from a private socket to the listener at each sample(); when the
// listener reads it, now minus its timestamp is the wait every SIP datagram before it also had.
// This is the overload signal of RFC 7339 3 ("the server's ability to process requests") measured
// where overload shows first: the kernel queue grows, then it drops, then UDP clients retransmit.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Endpoint } from './types.js';

const TOKEN_BYTES = 16;
const PROBE_BYTES = TOKEN_BYTES + 8;
/** Probes in flight remembered; older ones are forgotten (at ten a second, 25 s of them). */
const MAX_OUTSTANDING = 256;

/** Where a probe goes for a socket bound to `address`: the loopback of its family when it is a wildcard. */
export function probeTarget(address: string, port: number): Endpoint {
  if (address === '0.0.0.0') return { address: '127.0.0.1', port, family: 4 };
  if (address === '::') return { address: '::1', port, family: 6 };
  return { address, port, family: address.includes(':') ? 6 : 4 };
}

export class QueueDelayProbe {
  private readonly token = randomBytes(TOKEN_BYTES);
  private readonly socket: Socket;
  /** Send times (performance.now()) of probes not read yet, oldest first. */
  private readonly outstanding: number[] = [];
  private lastDelayMs = 0;
  /** Until one probe has come back, the path is unproven: a probe that never arrives says nothing. */
  private armed = false;
  private closed = false;
  /** The probe socket's port, the first thing the listener compares. */
  readonly port: number;

  private constructor(private readonly target: Endpoint, socket: Socket) {
    this.socket = socket;
    this.port = socket.address().port;
    socket.unref();
    socket.on('error', () => { /* a lost probe only makes the next sample older */ });
  }

  static open(target: Endpoint): Promise<QueueDelayProbe> {
    const socket = createSocket(target.family === 6 ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port: 0, address: target.family === 6 ? '::1' : '127.0.0.1', exclusive: true }, () => {
        socket.off('error', reject);
        resolve(new QueueDelayProbe(target, socket));
      });
    });
  }

  /** True (and the delay noted) when `data` from `port` is one of our probes; the listener then drops it. */
  accept(data: Buffer, port: number): boolean {
    if (port !== this.port || data.length !== PROBE_BYTES || data.compare(this.token, 0, TOKEN_BYTES, 0, TOKEN_BYTES) !== 0) {
      return false;
    }
    const sentAt = data.readDoubleBE(TOKEN_BYTES);
    this.lastDelayMs = performance.now() - sentAt;
    this.armed = true;
    // Probes sent before this one and still outstanding were dropped by a full queue.
    while (this.outstanding.length > 0 && this.outstanding[0] <= sentAt) this.outstanding.shift();
    return true;
  }

  /**
   * The queue delay now, in ms: the last probe's wait, or the age of the oldest probe not read yet
   * when that is longer (a lower bound of its wait). Then sends the next probe.
   */
  sample(): number {
    const now = performance.now();
    const oldest = this.outstanding.length > 0 ? now - this.outstanding[0] : 0;
    const delay = this.armed ? Math.max(this.lastDelayMs, oldest) : 0;
    this.send(now);
    return delay;
  }

  private send(now: number): void {
    if (this.closed) return;
    const data = Buffer.allocUnsafe(PROBE_BYTES);
    this.token.copy(data, 0);
    data.writeDoubleBE(now, TOKEN_BYTES);
    if (this.outstanding.length === MAX_OUTSTANDING) this.outstanding.shift();
    this.outstanding.push(now);
    this.socket.send(data, this.target.port, this.target.address, (err) => {
      // Never sent: not a sign of a queue (the next probe will tell).
      if (err) {
        const i = this.outstanding.indexOf(now);
        if (i >= 0) this.outstanding.splice(i, 1);
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}
