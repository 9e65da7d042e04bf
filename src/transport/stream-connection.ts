// A TCP or TLS connection carrying SIP (RFC 3261 18.3 framing, RFC 5626 3.5.1 CRLF keepalives).
import type { Socket } from 'node:net';
import { StreamFramer } from '../sip/framing.js';
import type { ParseLimits } from '../sip/limits.js';
import { normalizeSocketAddress } from './address.js';
import { newConnectionId, type CloseReason, type Connection, type ConnectionEvents } from './connection.js';
import { TransportError, fromSystemError } from './errors.js';
import type { InboundHandler } from './inbound.js';
import type { Endpoint, SocketIdentity, TransportLogger } from './types.js';

export interface StreamConnectionOptions {
  limits: ParseLimits;
  idleTimeoutMs: number;
}

const CRLF = Buffer.from('\r\n');

function endpoint(address: string | undefined, port: number | undefined): Endpoint {
  const a = normalizeSocketAddress(address ?? '');
  return { address: a, port: port ?? 0, family: a.includes(':') ? 6 : 4 };
}

export class StreamConnection implements Connection {
  readonly identity: SocketIdentity;
  private readonly framer: StreamFramer;
  private closing = false;
  private closeReason: CloseReason = 'peer';
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    protocol: 'tcp' | 'tls',
    listener: string,
    private readonly handler: InboundHandler,
    private readonly events: ConnectionEvents,
    options: StreamConnectionOptions,
    private readonly log: TransportLogger,
  ) {
    this.identity = {
      protocol,
      // For a wildcard listener the kernel knows the real local address of a connection.
      local: endpoint(socket.localAddress, socket.localPort),
      remote: endpoint(socket.remoteAddress, socket.remotePort),
      listener,
      connectionId: newConnectionId(protocol),
    };
    this.framer = new StreamFramer(options.limits);
    socket.setNoDelay(true);
    socket.setTimeout(options.idleTimeoutMs, () => this.close('idle'));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      this.closeReason = 'error';
      this.log.debug({ connection: this.identity.connectionId, err: err.message }, 'connection error');
    });
    socket.once('close', () => {
      clearTimeout(this.graceTimer);
      this.events.closed(this, this.closeReason);
    });
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    for (const event of this.framer.push(chunk)) {
      switch (event.type) {
        case 'message':
          this.handler.sip(event.data, this.identity);
          break;
        case 'ping':
          // RFC 5626 4.4.1: a CRLFCRLF ping is answered with a single CRLF pong.
          this.socket.write(CRLF);
          this.handler.keepalive(this.identity, 'ping');
          break;
        case 'pong':
          // RFC 5626 4.4.1: a lone CRLF is a pong (or noise); it gets no answer.
          this.handler.keepalive(this.identity, 'pong');
          break;
        case 'error':
          this.closeAfterReply(2000);
          this.events.framingError(this, event.reason, chunk);
          return;
      }
    }
  }

  write(data: Buffer): Promise<void> {
    if (this.socket.destroyed || this.socket.writableEnded) {
      return Promise.reject(new TransportError('connection-closed', `${this.identity.connectionId} is closed`));
    }
    return new Promise((resolve, reject) => {
      this.socket.write(data, (err) => {
        if (err) reject(fromSystemError(err, `${this.identity.protocol} ${this.identity.connectionId}`));
        else resolve();
        if (this.closing) this.socket.destroySoon();
      });
    });
  }

  /** Stop reading; close once the next write (the error response) is flushed, or after `graceMs`. */
  private closeAfterReply(graceMs: number): void {
    if (this.closing) return;
    this.closing = true;
    this.closeReason = 'framing-error';
    this.socket.pause();
    this.graceTimer = setTimeout(() => this.socket.destroySoon(), graceMs);
    this.graceTimer.unref();
  }

  close(reason: CloseReason): void {
    if (this.socket.destroyed) return;
    this.closeReason = reason;
    this.socket.destroy();
  }
}
