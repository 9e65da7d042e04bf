// WebSocket listeners for SIP (RFC 7118): ws over HTTP, wss over HTTPS, subprotocol `sip`.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { bindServer, closeServer } from './server-bind.js';
import type { ListenSpec } from './listen-spec.js';
import type { ListenerInfo, TransportLogger } from './types.js';

/** RFC 7118 4.1: the WebSocket subprotocol of SIP. */
export const SIP_SUBPROTOCOL = 'sip';

export class WsListener {
  /** Set by open() before the first connection can be accepted. */
  info!: ListenerInfo;
  private readonly server: Server;
  private readonly wss: WebSocketServer;

  private constructor(
    spec: ListenSpec,
    credentials: { cert: string; key: string } | undefined,
    maxMessageSize: number,
    accept: (ws: WebSocket, socket: Socket, listener: ListenerInfo) => void,
    log: TransportLogger,
  ) {
    // Plain HTTP requests get 426: this port speaks SIP over WebSocket only.
    const onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
      res.writeHead(426, { Connection: 'close', Upgrade: 'websocket', 'Sec-WebSocket-Protocol': SIP_SUBPROTOCOL });
      res.end();
    };
    this.server = spec.protocol === 'wss' && credentials
      ? createHttpsServer({ cert: credentials.cert, key: credentials.key }, onRequest)
      : createHttpServer(onRequest);
    this.wss = new WebSocketServer({
      server: this.server,
      maxPayload: maxMessageSize,
      // RFC 7118 4.1: the client offers `sip`; a handshake without it is refused.
      handleProtocols: (offered) => (offered.has(SIP_SUBPROTOCOL) ? SIP_SUBPROTOCOL : false),
      verifyClient: (info, done) => {
        const offered = String(info.req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
        if (offered.includes(SIP_SUBPROTOCOL)) done(true);
        else {
          log.debug({ from: info.req.socket.remoteAddress }, 'WebSocket handshake without the sip subprotocol refused');
          done(false, 400, 'Sec-WebSocket-Protocol must offer sip');
        }
      },
    });
    this.wss.on('connection', (ws, req) => accept(ws, req.socket, this.info));
    this.wss.on('error', (err) => log.error({ listener: this.info?.name, err: err.message }, 'WebSocket listener error'));
  }

  static async open(
    spec: ListenSpec,
    credentials: { cert: string; key: string } | undefined,
    maxMessageSize: number,
    accept: (ws: WebSocket, socket: Socket, listener: ListenerInfo) => void,
    log: TransportLogger,
  ): Promise<WsListener> {
    const listener = new WsListener(spec, credentials, maxMessageSize, accept, log);
    listener.info = await bindServer(listener.server, spec, log);
    return listener;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    const closed = closeServer(this.server);
    // Upgraded sockets are the pool's; this ends idle keep-alive and half-open handshakes.
    this.server.closeAllConnections();
    await closed;
  }
}
