// Test plumbing for transport tests: waiting for manager events, raw stream clients, request text.
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { EventEmitter } from 'node:events';
import { TransportManager, type TransportManagerOptions } from '../../src/transport/transport-manager.js';

export { optionsRequest, sipText } from '../helpers/raw-client.js';

/** A manager that keeps quiet (no logger: silent by default). */
export function manager(options: TransportManagerOptions = {}): TransportManager {
  return new TransportManager(options);
}

/** The arguments of the next `event` that satisfies `accept`, or a rejection after `timeoutMs`. */
export function nextEvent<A extends unknown[]>(emitter: EventEmitter, event: string, accept: (...args: A) => boolean = () => true,
  timeoutMs = 2000): Promise<A> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: unknown[]): void => {
      if (!accept(...(args as A))) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args as A);
    };
    emitter.on(event, listener);
  });
}

/** Collects every event of a kind, for "nothing else happened" checks. */
export function record<A extends unknown[]>(emitter: EventEmitter, event: string): A[] {
  const seen: A[] = [];
  emitter.on(event, (...args: unknown[]) => seen.push(args as A));
  return seen;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw TCP or TLS client that accumulates what it receives. */
export class RawStreamClient {
  received = Buffer.alloc(0);
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => { this.received = Buffer.concat([this.received, d]); });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** `localAddress` (plain TCP): connect from this loopback address, another "host" on the same machine. */
  static connect(port: number, host = '127.0.0.1', tls?: { ca: string }, localAddress?: string): Promise<RawStreamClient> {
    return new Promise((resolve, reject) => {
      const socket = tls
        ? connectTls({ host, port, ca: tls.ca, servername: 'localhost' }, () => resolve(new RawStreamClient(socket)))
        : connectTcp({ host, port, localAddress }, () => resolve(new RawStreamClient(socket)));
      socket.once('error', reject);
    });
  }

  get localPort(): number {
    return this.socket.localPort as number;
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Resolves with everything received once `test` accepts it. */
  async waitFor(test: (text: string) => boolean, timeoutMs = 2000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!test(this.received.toString('latin1'))) {
      if (Date.now() > deadline) throw new Error(`timed out; received so far: ${JSON.stringify(this.received.toString('latin1'))}`);
      await sleep(10);
    }
    return this.received.toString('latin1');
  }

  close(): void {
    this.socket.destroy();
  }
}
