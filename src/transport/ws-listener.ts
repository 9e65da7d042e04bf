// WebSocket listeners for SIP (RFC 7118): ws over HTTP, wss over HTTPS, subprotocol `sip`.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { peerAddress } from './address.js';
import { PendingSockets, type Admission } from './admission.js';
import { bindServer, closeServer } from './server-bind.js';
import { wsMaxPayload } from './ws-connection.js';
import type { ListenSpec } from './listen-spec.js';
import type { ListenerInfo, TransportLogger } from './types.js';

/** RFC 7118 4.1: the WebSocket subprotocol of SIP. */
export const SIP_SUBPROTOCOL = 'sip';

export class WsListener {
  /** Set by open() before the first connection can be accepted. */
  info!: ListenerInfo;
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  /** Accepted TCP sockets not upgraded yet: they count against --max-connections. */
  private readonly pending = new PendingSockets();
  /** The deadline of each socket still before its upgrade (for wss: after its TLS handshake). */
  private readonly upgradeTimers = new Map<Socket, NodeJS.Timeout>();

  private constructor(
    spec: ListenSpec,
    credentials: { cert: string; key: string } | undefined,
    maxMessageSize: number,
    admission: Admission,
    accept: (ws: WebSocket, socket: Socket, listener: ListenerInfo) => void,
    log: TransportLogger,
  ) {
    // Plain HTTP requests get 426: this port speaks SIP over WebSocket only.
    const onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
      res.writeHead(426, { Connection: 'close', Upgrade: 'websocket', 'Sec-WebSocket-Protocol': SIP_SUBPROTOCOL });
      res.end();
    };
    const secure = spec.protocol === 'wss' && credentials !== undefined;
    this.server = secure
      ? createHttpsServer({ cert: credentials.cert, key: credentials.key, handshakeTimeout: admission.setupTimeoutMs }, onRequest)
      : createHttpServer(onRequest);
    // Before its upgrade a connection is still a socket we hold: it takes a --max-connections slot
    // when accepted, and must finish its TLS handshake, then its upgrade, each within the setup
    // timeout (Node's HTTP timeouts, 60 s for headers checked every 30 s, ignored --idle-timeout).
    this.server.on('connection', (socket: Socket) => {
      if (!admission.admit(socket, this.info)) {
        socket.destroy();
        return;
      }
      this.pending.track(socket);
      if (!secure) this.armUpgradeTimer(socket, admission.setupTimeoutMs);
    });
    if (secure) this.server.on('secureConnection', (socket: Socket) => this.armUpgradeTimer(socket, admission.setupTimeoutMs));
    this.wss = new WebSocketServer({
      server: this.server,
      maxPayload: wsMaxPayload(maxMessageSize),
      // RFC 7118 4.1: the client offers `sip`; a handshake without it is refused.
      handleProtocols: (offered) => (offered.has(SIP_SUBPROTOCOL) ? SIP_SUBPROTOCOL : false),
      verifyClient: (info, done) => {
        const offered = String(info.req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
        if (offered.includes(SIP_SUBPROTOCOL)) done(true);
        else {
          log.debug({ from: peerAddress(info.req.socket) }, 'WebSocket handshake without the sip subprotocol refused');
          done(false, 400, 'Sec-WebSocket-Protocol must offer sip');
        }
      },
    });
    this.wss.on('connection', (ws, req) => {
      clearTimeout(this.upgradeTimers.get(req.socket));
      this.upgradeTimers.delete(req.socket);
      this.pending.started(req.socket);
      accept(ws, req.socket, this.info);
    });
    this.wss.on('error', (err) => log.error({ listener: this.info?.name, err: err.message }, 'WebSocket listener error'));
  }

  static async open(
    spec: ListenSpec,
    credentials: { cert: string; key: string } | undefined,
    maxMessageSize: number,
    admission: Admission,
    accept: (ws: WebSocket, socket: Socket, listener: ListenerInfo) => void,
    log: TransportLogger,
  ): Promise<WsListener> {
    const listener = new WsListener(spec, credentials, maxMessageSize, admission, accept, log);
    listener.info = await bindServer(listener.server, spec, log);
    return listener;
  }

  /** Accepted sockets not yet upgraded (TLS handshake, HTTP request, WebSocket handshake). */
  get pendingConnections(): number {
    return this.pending.count;
  }

  private armUpgradeTimer(socket: Socket, timeoutMs: number): void {
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    timer.unref();
    this.upgradeTimers.set(socket, timer);
    socket.once('close', () => {
      clearTimeout(timer);
      this.upgradeTimers.delete(socket);
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    const closed = closeServer(this.server);
    // Upgraded sockets are the pool's; this ends idle keep-alive and half-open handshakes.
    this.server.closeAllConnections();
    this.pending.destroyAll();
    await closed;
  }
}
