// TCP and TLS listeners (RFC 3261 18; TLS per RFC 3261 26.2.1): accepted sockets go to the manager,
// which wraps them in StreamConnections.
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { peerAddress } from './address.js';
import { PendingSockets, type Admission } from './admission.js';
import { bindServer, closeServer } from './server-bind.js';
import type { ListenSpec } from './listen-spec.js';
import type { ListenerInfo, TransportLogger } from './types.js';

export class StreamListener {
  /** Set by open() before the first connection can be accepted. */
  info!: ListenerInfo;
  private readonly server: Server;
  /** Every accepted socket, handshaking ones included, so close() does not wait on a silent TLS peer. */
  private readonly pending = new PendingSockets();

  private constructor(
    spec: ListenSpec,
    credentials: { cert: string; key: string } | undefined,
    admission: Admission,
    accept: (socket: Socket, listener: ListenerInfo) => void,
    log: TransportLogger,
  ) {
    const tls = spec.protocol === 'tls' && credentials !== undefined;
    const start = (socket: Socket): void => {
      this.pending.started(socket);
      accept(socket, this.info);
    };
    if (tls) {
      // A peer that never completes the handshake must not hold its socket for ever: Node gives up
      // after handshakeTimeout but, with a tlsClientError listener, leaves the socket to us.
      this.server = createTlsServer({ cert: credentials.cert, key: credentials.key, handshakeTimeout: admission.setupTimeoutMs }, start);
      this.server.on('tlsClientError', (err, socket) => {
        log.debug({ from: peerAddress(socket), err: err.message }, 'TLS handshake failed');
        socket.destroy();
      });
    } else {
      this.server = createTcpServer();
    }
    // Admission at TCP accept: a socket still in its TLS handshake counts against --max-connections.
    this.server.on('connection', (socket: Socket) => {
      if (!admission.admit(socket, this.info)) {
        socket.destroy();
        return;
      }
      this.pending.track(socket);
      if (!tls) start(socket);
    });
  }

  /** `credentials` is required for tls; `accept` gets every admitted, connected (for tls: handshaken) socket. */
  static async open(
    spec: ListenSpec,
    credentials: { cert: string; key: string } | undefined,
    admission: Admission,
    accept: (socket: Socket, listener: ListenerInfo) => void,
    log: TransportLogger,
  ): Promise<StreamListener> {
    const listener = new StreamListener(spec, credentials, admission, accept, log);
    listener.info = await bindServer(listener.server, spec, log);
    listener.server.on('error', (err) => log.error({ listener: listener.info.name, err: err.message }, 'listener error'));
    return listener;
  }

  /** Accepted sockets not yet handed over: those still in their TLS handshake. */
  get pendingConnections(): number {
    return this.pending.count;
  }

  close(): Promise<void> {
    const closed = closeServer(this.server);
    this.pending.destroyAll();
    return closed;
  }
}
