// TCP and TLS listeners (RFC 3261 18; TLS per RFC 3261 26.2.1): accepted sockets go to the manager,
// which wraps them in StreamConnections.
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { bindServer, closeServer } from './server-bind.js';
import type { ListenSpec } from './listen-spec.js';
import type { ListenerInfo, TransportLogger } from './types.js';

export class StreamListener {
  /** Set by open() before the first connection can be accepted. */
  info!: ListenerInfo;
  private readonly server: Server;
  /** Every accepted socket, handshaking ones included, so close() does not wait on a silent TLS peer. */
  private readonly sockets = new Set<Socket>();

  private constructor(
    spec: ListenSpec,
    credentials: { cert: string; key: string } | undefined,
    accept: (socket: Socket, listener: ListenerInfo) => void,
    log: TransportLogger,
  ) {
    const onSocket = (socket: Socket): void => accept(socket, this.info);
    if (spec.protocol === 'tls' && credentials) {
      this.server = createTlsServer({ cert: credentials.cert, key: credentials.key }, onSocket);
      this.server.on('tlsClientError', (err, socket) =>
        log.debug({ from: socket.remoteAddress, err: err.message }, 'TLS handshake failed'));
    } else {
      this.server = createTcpServer(onSocket);
    }
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** `credentials` is required for tls; `accept` gets every connected (for tls: handshaken) socket. */
  static async open(
    spec: ListenSpec,
    credentials: { cert: string; key: string } | undefined,
    accept: (socket: Socket, listener: ListenerInfo) => void,
    log: TransportLogger,
  ): Promise<StreamListener> {
    const listener = new StreamListener(spec, credentials, accept, log);
    listener.info = await bindServer(listener.server, spec, log);
    listener.server.on('error', (err) => log.error({ listener: listener.info.name, err: err.message }, 'listener error'));
    return listener;
  }

  close(): Promise<void> {
    const closed = closeServer(this.server);
    for (const socket of this.sockets) socket.destroy();
    return closed;
  }
}
