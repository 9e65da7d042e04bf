// A TCP or TLS connection carrying SIP (RFC 3261 18.3 framing, RFC 5626 3.5.1 CRLF keepalives).
import type { Socket } from 'node:net';
import { checkServerIdentity, TLSSocket } from 'node:tls';
import { StreamFramer } from '../sip/framing.js';
import type { ParseLimits } from '../sip/limits.js';
import { connectionIdentity, type CloseReason, type Connection, type ConnectionEvents } from './connection.js';
import { TransportError, fromSystemError } from './errors.js';
import type { InboundHandler } from './inbound.js';
import { OneMessagePerReadDetector, PacedWriter } from './one-message-per-read.js';
import type { SocketIdentity, TransportLogger } from './types.js';

export interface StreamConnectionOptions {
  limits: ParseLimits;
  idleTimeoutMs: number;
}

const CRLF = Buffer.from('\r\n');
const CRLF_PING = Buffer.from('\r\n\r\n');
/** How long a stream with a framing error waits for the 400/513 before it closes. */
const FRAMING_ERROR_GRACE_MS = 2_000;

export class StreamConnection implements Connection {
  readonly identity: SocketIdentity;
  private readonly framer: StreamFramer;
  private closing = false;
  private closeReason: CloseReason = 'peer';
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly idleTimer: NodeJS.Timeout;
  /**
   * Armed while the framer holds part of a message: the whole message must arrive within the idle
   * timeout of its first byte. Every byte refreshes the idle timer, so without this a peer trickling
   * one byte per idle period would hold its connection (and a --max-connections slot) for ever.
   */
  private messageTimer: NodeJS.Timeout | undefined;
  private readonly idleTimeoutMs: number;
  /** Looks at the peer's first messages for a client that handles one SIP message per read(). */
  private detector: OneMessagePerReadDetector | undefined = new OneMessagePerReadDetector();
  /** Set once the peer is such a client: our messages to it are paced. */
  private paced: PacedWriter | undefined;

  /** See Connection.authenticates: only a client-side TLS socket that verified its peer. */
  authenticates(name: string): boolean {
    const s = this.socket;
    if (!(s instanceof TLSSocket) || s.authorized !== true) return false;
    return checkServerIdentity(name, s.getPeerCertificate()) === undefined;
  }

  constructor(
    private readonly socket: Socket,
    protocol: 'tcp' | 'tls',
    listener: string,
    private readonly handler: InboundHandler,
    private readonly events: ConnectionEvents,
    options: StreamConnectionOptions,
    private readonly log: TransportLogger,
  ) {
    this.identity = connectionIdentity(socket, protocol, listener);
    this.framer = new StreamFramer(options.limits);
    socket.setNoDelay(true);
    // Idle means nothing from the peer: Node's socket timeout also counts our writes, so requests to
    // a peer that vanished without FIN or RST (a dropped link) kept its connection open until the
    // kernel gave up retransmitting (about 15 minutes with Linux defaults).
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.idleTimer = setTimeout(() => this.close('idle'), options.idleTimeoutMs);
    this.idleTimer.unref();
    socket.on('data', (chunk: Buffer) => {
      this.idleTimer.refresh();
      this.onData(chunk);
    });
    socket.on('error', (err) => {
      this.closeReason = 'error';
      this.log.debug({ connection: this.identity.connectionId, err: err.message }, 'connection error');
    });
    socket.once('close', () => {
      clearTimeout(this.graceTimer);
      clearTimeout(this.idleTimer);
      clearTimeout(this.messageTimer);
      this.paced?.abort(new TransportError('connection-closed', `${this.identity.connectionId} is closed`));
      this.events.closed(this, this.closeReason);
    });
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    const events = this.framer.push(chunk);
    for (const event of events) {
      switch (event.type) {
        case 'message':
          if (this.detector !== undefined) this.detect(event.data);
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
          this.closeAfterReply(FRAMING_ERROR_GRACE_MS);
          this.events.framingError(this, event.reason, event.data);
          return;
      }
    }
    this.trackUnframed();
  }

  private detect(message: Buffer): void {
    const verdict = (this.detector as OneMessagePerReadDetector).examine(message);
    if (verdict === undefined) return;
    this.detector = undefined;
    if (!verdict) return;
    this.paced = new PacedWriter((data, done) => this.socket.write(data, done));
    this.log.debug({ connection: this.identity.connectionId }, 'peer handles one SIP message per read: writes paced');
  }

  /** The deadline of a message the framer holds part of (it must arrive whole within the idle timeout). */
  private trackUnframed(): void {
    if (this.framer.buffered === 0) {
      clearTimeout(this.messageTimer);
      this.messageTimer = undefined;
      return;
    }
    if (this.messageTimer === undefined) {
      this.messageTimer = setTimeout(() => {
        this.log.debug({ connection: this.identity.connectionId, bytes: this.framer.buffered }, 'a message took longer than the idle timeout to arrive');
        this.close('idle');
      }, this.idleTimeoutMs);
      this.messageTimer.unref();
    }
  }

  write(data: Buffer): Promise<void> {
    if (this.socket.destroyed || this.socket.writableEnded) {
      return Promise.reject(new TransportError('connection-closed', `${this.identity.connectionId} is closed`));
    }
    // RFC 5626 4.4.1: our ping; the peer's next CRLF is its pong, and gets no answer.
    if (data.equals(CRLF_PING)) this.framer.expectPong();
    return new Promise((resolve, reject) => {
      const done = (err: Error | null | undefined): void => {
        if (err instanceof TransportError) reject(err);
        else if (err) reject(fromSystemError(err, `${this.identity.protocol} ${this.identity.connectionId}`));
        else resolve();
        if (this.closing) this.socket.destroySoon();
      };
      if (this.paced !== undefined) this.paced.write(data, done);
      else this.socket.write(data, done);
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

