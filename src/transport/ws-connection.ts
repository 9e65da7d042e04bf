// A SIP WebSocket connection (RFC 7118): one SIP message per WebSocket message, datagram rules.
import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { classifyDatagram } from '../sip/framing.js';
import { connectionIdentity, type CloseReason, type Connection, type ConnectionEvents } from './connection.js';
import { TransportError, fromSystemError } from './errors.js';
import type { InboundHandler } from './inbound.js';
import type { SocketIdentity, TransportLogger } from './types.js';

const CRLF = Buffer.from('\r\n');
const CRLF_PING = Buffer.from('\r\n\r\n');

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/**
 * The largest WebSocket message taken in: twice the SIP limit. A message over maxMessageSize but
 * within this is handed on whole, so the request gets its 513 Message Too Large (RFC 3261 21.5.14)
 * as over UDP and TCP, and the connection stays open; only a larger one closes it with 1009
 * (RFC 6455 7.4.1), so a peer cannot make us buffer without bound.
 */
export function wsMaxPayload(maxMessageSize: number): number {
  return 2 * maxMessageSize;
}

/**
 * How long a connection we close (idle, shutdown) waits for the peer's Close frame before its
 * socket is cut: a vanished peer never answers, and a shutdown must not wait for it.
 */
const CLOSE_GRACE_MS = 1_000;

/**
 * RFC 6455 7.4.1 status codes of the Close frame we send: 1001 (going away) when the transport
 * manager closes (the server stops), 1000 (normal closure) for an idle connection. Other reasons
 * cut the connection without one.
 */
const CLOSE_FRAMES: Partial<Record<CloseReason, { code: number; reason: string }>> = {
  shutdown: { code: 1001, reason: 'shutting down' },
  idle: { code: 1000, reason: 'idle timeout' },
};

export class WsConnection implements Connection {
  readonly identity: SocketIdentity;
  private closeReason: CloseReason = 'peer';

  /** `socket` is the TCP/TLS socket under the WebSocket: it gives the addresses and the peer's traffic. */
  constructor(
    private readonly ws: WebSocket,
    socket: Socket,
    protocol: 'ws' | 'wss',
    listener: string,
    private readonly handler: InboundHandler,
    private readonly events: ConnectionEvents,
    idleTimeoutMs: number,
    private readonly log: TransportLogger,
  ) {
    this.identity = connectionIdentity(socket, protocol, listener);
    // Idle means nothing from the peer, as for TCP (stream-connection.ts): Node's socket timeout also
    // counts our writes, which would keep a vanished peer's connection open while we write to it.
    // Any bytes from the peer count: SIP messages, CRLF keepalives, WebSocket pings and pongs.
    // RFC 7118 6 (keepalive with WebSocket Pings, RFC 6455 5.5.2): browser stacks send nothing
    // between registrations (SIP.js, expires 600), so after half the idle timeout of quiet we send
    // a Ping; its Pong is traffic from the peer. A peer that does not answer is closed at the
    // deadline, as before. The idle timer itself runs in two halves: no other timer per connection.
    let pinged = false;
    const idleTimer = setTimeout(() => {
      if (pinged) {
        this.close('idle');
        return;
      }
      pinged = true;
      idleTimer.refresh();
      this.ping().catch(() => {});
    }, Math.ceil(idleTimeoutMs / 2));
    idleTimer.unref();
    socket.on('data', () => {
      pinged = false;
      idleTimer.refresh();
    });
    ws.on('message', (data) => this.onMessage(toBuffer(data)));
    // RFC 6455 5.5.2-5.5.3: ws answers a Ping with a Pong itself. Both are keepalives: a Ping proves
    // the peer alive (as a CRLFCRLF does on TCP), a Pong answers our ping().
    ws.on('ping', () => this.handler.keepalive(this.identity, 'ping'));
    ws.on('pong', () => this.handler.keepalive(this.identity, 'pong'));
    ws.on('error', (err) => {
      this.closeReason = 'error';
      this.log.debug({ connection: this.identity.connectionId, err: err.message }, 'WebSocket error');
    });
    ws.once('close', () => {
      clearTimeout(idleTimer);
      this.events.closed(this, this.closeReason);
    });
  }

  get closed(): boolean {
    return this.ws.readyState !== this.ws.OPEN;
  }

  private onMessage(data: Buffer): void {
    switch (classifyDatagram(data)) {
      case 'sip':
        this.handler.sip(data, this.identity);
        return;
      case 'keepalive':
        // RFC 7118 keeps the connection alive with WebSocket pings, but some clients send CRLF.
        // RFC 7118 6 allows RFC 5626's CRLF keepalive over WebSocket (SIP.js keepAliveInterval):
        // a CRLFCRLF ping gets a CRLF pong, in a message of its own (RFC 5626 4.4.1).
        if (data.equals(CRLF_PING)) this.write(CRLF).catch(() => {});
        this.handler.keepalive(this.identity, data[0] === 0 ? 'nul' : 'crlf');
        return;
      default:
        this.log.debug({ connection: this.identity.connectionId, bytes: data.length }, 'ignored a WebSocket message that is not SIP');
    }
  }

  write(data: Buffer): Promise<void> {
    if (this.closed) {
      return Promise.reject(new TransportError('connection-closed', `${this.identity.connectionId} is closed`));
    }
    // RFC 7118 5.1: text frames must be UTF-8; anything else goes in a binary frame.
    const binary = !isUtf8(data);
    return new Promise((resolve, reject) => {
      this.ws.send(data, { binary }, (err) => {
        if (err) reject(fromSystemError(err, `${this.identity.protocol} ${this.identity.connectionId}`));
        else resolve();
      });
    });
  }

  /** RFC 6455 5.5.2: a Ping; the peer's Pong comes back as a 'pong' keepalive. */
  ping(): Promise<void> {
    if (this.closed) {
      return Promise.reject(new TransportError('connection-closed', `${this.identity.connectionId} is closed`));
    }
    return new Promise((resolve, reject) => {
      this.ws.ping(undefined, undefined, (err) => {
        if (err) reject(fromSystemError(err, `${this.identity.protocol} ${this.identity.connectionId}`));
        else resolve();
      });
    });
  }

  close(reason: CloseReason): void {
    if (this.ws.readyState === this.ws.CLOSED) return;
    this.closeReason = reason;
    const frame = CLOSE_FRAMES[reason];
    // RFC 6455 7.1.2, 7.4.1: a Close frame with its code, so the peer sees why (not 1006); the
    // socket is cut if the peer does not answer within the grace (or at once while already closing).
    if (frame === undefined || this.ws.readyState !== this.ws.OPEN) {
      this.ws.terminate();
      return;
    }
    this.ws.close(frame.code, frame.reason);
    const grace = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    grace.unref();
    this.ws.once('close', () => clearTimeout(grace));
  }
}
