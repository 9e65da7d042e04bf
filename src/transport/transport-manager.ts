// The transport layer's face to the rest of the stack (docs/internals.md, transport/): listeners of
// every kind, the connection pool, received/rport stamping, response routing and sending.
import { EventEmitter } from 'node:events';
import { isIP, type Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { SipParseError, badRequest } from '../sip/errors.js';
import { withDefaults, type ParseLimits } from '../sip/limits.js';
import type { Via } from '../sip/headers/via.js';
import type { SipMessage } from '../sip/message.js';
import { parseMessage } from '../sip/parser.js';
import { bindingSuccessResponse } from '../sip/stun.js';
import { formatHostPort } from '../sip/uri.js';
import { addressFamily, normalizeAddress, peerAddress } from './address.js';
import { ConnectionsPerAddress, SETUP_TIMEOUT_MAX_MS, type Admission } from './admission.js';
import type { CloseReason, Connection, ConnectionEvents } from './connection.js';
import { ConnectionPool } from './connection-pool.js';
import { openStream } from './connector.js';
import { forbiddenDestination, localBroadcastAddresses } from './destination-policy.js';
import { framingErrorFor } from './framing-error.js';
import { TransportError } from './errors.js';
import type { InboundHandler } from './inbound.js';
import { parseListenSpec, type ListenSpec } from './listen-spec.js';
import { noteReceivedBytes } from './received-bytes.js';
import { reconnectDestination, routeResponse, type Destination } from './response-routing.js';
import { StreamConnection } from './stream-connection.js';
import { StreamListener } from './stream-listener.js';
import { loadCredentials } from './tls-credentials.js';
import type {
  AddressFamily, KeepaliveKind, ListenerInfo, SendTarget, SocketIdentity, TlsClientOptions, TlsCredentials,
  TransportLogger, TransportProtocol, TransportWarning,
} from './types.js';
import { udpReceiveDrops } from './udp-drops.js';
import { UdpListener } from './udp-listener.js';
import { stampReceived } from './via-received.js';
import { WsConnection, wsMaxPayload } from './ws-connection.js';
import { WsListener } from './ws-listener.js';
import { openWebSocket } from './ws-connector.js';

export interface TransportManagerOptions {
  /** pino or anything with its debug/info/warn/error methods; silent by default. */
  logger?: TransportLogger;
  /** Answer to the packet's source (default true, like Kamailio's force_rport); false = RFC 3261 18.2.2 as written. */
  symmetricResponses?: boolean;
  /** Certificate and key for tls and wss listeners (a listen() call may give its own). */
  tls?: TlsCredentials;
  /** How connections we open as a TLS client verify the server. */
  tlsClient?: TlsClientOptions;
  /**
   * A stream connection with nothing from the peer for this long is closed (default 300 000 ms); an
   * accepted one must also finish its TLS handshake and WebSocket upgrade within it (at most 120 000 ms).
   */
  idleTimeoutMs?: number;
  /** Giving up on a TCP/TLS connect (default 10 000 ms, well inside Timer B/F's 32 s). */
  connectTimeoutMs?: number;
  /**
   * Open stream connections, both directions together, accepted ones still in their TLS handshake or
   * before their WebSocket upgrade included (default 10 000); more are refused with a warning.
   */
  maxConnections?: number;
  /** Accepted connections one remote address may hold at once (default 1000, never above maxConnections). */
  maxConnectionsPerAddress?: number;
  /** Parser and framer limits; a WebSocket message over twice maxMessageSize closes its connection (1009). */
  limits?: Partial<ParseLimits>;
  /** SO_RCVBUF / SO_SNDBUF for UDP sockets (default 4 MiB; the kernel may cap it). */
  udpBufferSize?: number;
  /** Measure each UDP socket's receive-queue delay (queueDelayMs()): how far behind its load the server is. */
  measureQueueDelay?: boolean;
}

export interface ListenOptions {
  tls?: TlsCredentials;
}

export type TraceDirection = 'in' | 'out';

export interface TransportEvents {
  /** A parsed message; requests already carry received/rport (RFC 3261 18.2.1, RFC 3581 4). */
  message: [message: SipMessage, source: SocketIdentity];
  /** Bytes that did not parse; `err.partial` lets the layer above answer 400/513 to a request. */
  malformed: [err: SipParseError, data: Buffer, source: SocketIdentity];
  'connection-closed': [source: SocketIdentity, reason: CloseReason];
  keepalive: [source: SocketIdentity, kind: KeepaliveKind];
  /** A STUN Binding response (or error response) on a UDP socket, as bytes, after the 'keepalive' it also is (RFC 5626 4.4.2). */
  'stun-response': [data: Buffer, source: SocketIdentity];
  /** Every SIP message in and out, as bytes (keepalives are not traced). */
  trace: [direction: TraceDirection, data: Buffer, socket: SocketIdentity];
  /** Something was refused or dropped by policy (broadcast response, connection limit...). */
  warning: [warning: TransportWarning];
}

type Listener = UdpListener | StreamListener | WsListener;

const SILENT: TransportLogger = { debug() {}, info() {}, warn() {}, error() {} };

const DEFAULTS = {
  idleTimeoutMs: 300_000,
  connectTimeoutMs: 10_000,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 1_000,
  udpBufferSize: 4 * 1024 * 1024,
};

/** A destination address as send() checked it: its family (undefined: not an IP address) and normalized form. */
interface CheckedAddress {
  text: string;
  family: AddressFamily | undefined;
  address: string;
}

function checkedAddress(text: string): CheckedAddress {
  return { text, family: addressFamily(text), address: normalizeAddress(text) };
}

export class TransportManager extends EventEmitter<TransportEvents> {
  private readonly log: TransportLogger;
  private readonly limits: ParseLimits;
  private readonly pool: ConnectionPool;
  private readonly perAddress: ConnectionsPerAddress;
  private readonly sockets: Listener[] = [];
  private readonly udp: UdpListener[] = [];
  private readonly connecting = new Map<string, Promise<Connection>>();
  private readonly broadcasts = localBroadcastAddresses();
  private readonly inbound: InboundHandler;
  private readonly connectionEvents: ConnectionEvents;
  private readonly admission: Admission;
  private closed = false;
  /** The last address send() checked: requests mostly go to the peers just sent to, so it is reused. */
  private lastTarget: CheckedAddress = checkedAddress('');

  constructor(private readonly options: TransportManagerOptions = {}) {
    super();
    this.log = options.logger ?? SILENT;
    this.limits = withDefaults(options.limits);
    this.pool = new ConnectionPool(options.maxConnections ?? DEFAULTS.maxConnections);
    this.perAddress = new ConnectionsPerAddress(Math.min(options.maxConnectionsPerAddress ?? DEFAULTS.maxConnectionsPerAddress, this.pool.maxConnections));
    this.inbound = {
      sip: (data, source) => this.receive(data, source),
      keepalive: (source, kind) => this.safeEmit('keepalive', source, kind),
      stunResponse: (data, source) => this.safeEmit('stun-response', data, source),
    };
    this.connectionEvents = {
      closed: (connection, reason) => this.onConnectionClosed(connection, reason),
      framingError: (connection, reason, pending) => this.onFramingError(connection, reason, pending),
    };
    this.admission = {
      admit: (socket, listener) => this.admit(socket, listener),
      setupTimeoutMs: Math.min(this.idleTimeoutMs, SETUP_TIMEOUT_MAX_MS),
    };
  }

  /** Opens a socket for a listen spec (`udp:*:5060`, `tls:[::1]:5061`, `ws:127.0.0.1:0`...). */
  async listen(spec: string, options: ListenOptions = {}): Promise<ListenerInfo> {
    if (this.closed) throw new TransportError('closed', 'the transport manager is closed');
    const parsed = parseListenSpec(spec);
    const secure = parsed.protocol === 'tls' || parsed.protocol === 'wss';
    const credentials = secure ? loadCredentials(spec, options.tls ?? this.options.tls) : undefined;
    let listener: Listener;
    switch (parsed.protocol) {
      case 'udp': {
        const udp = await this.openUdp(parsed);
        listener = udp;
        if (parsed.host === '*' && !udp.info.families.includes(4)) return this.addIPv4Twin(udp);
        break;
      }
      case 'tcp':
      case 'tls':
        listener = await StreamListener.open(parsed, credentials, this.admission,
          (socket, info) => this.acceptStream(socket, info), this.log);
        break;
      case 'ws':
      case 'wss':
        listener = await WsListener.open(parsed, credentials, this.limits.maxMessageSize, this.admission,
          (ws, socket, info) => this.acceptWebSocket(ws, socket, info), this.log);
        break;
    }
    this.sockets.push(listener);
    this.log.info({ listener: listener.info.description }, 'listening');
    return listener.info;
  }

  private async openUdp(spec: ListenSpec): Promise<UdpListener> {
    const udp = await UdpListener.open(spec, this.inbound, {
      bufferSize: this.options.udpBufferSize ?? DEFAULTS.udpBufferSize,
      answerStun: (request, remote) => bindingSuccessResponse(request, remote.address, remote.port),
    }, this.log);
    this.udp.push(udp);
    if (this.options.measureQueueDelay) await udp.startQueueProbe();
    return udp;
  }

  /**
   * `udp:*` promises both families. Where net.ipv6.bindv6only=1 keeps the `::` socket to IPv6 (Node
   * cannot clear IPV6_V6ONLY on UDP), an IPv4 socket on the same port serves IPv4: each socket keeps
   * its own name, so every message still says which socket and family carried it.
   */
  private async addIPv4Twin(v6: UdpListener): Promise<ListenerInfo> {
    this.sockets.push(v6);
    let v4: UdpListener;
    try {
      v4 = await this.openUdp({ protocol: 'udp', host: '0.0.0.0', port: v6.info.port });
    } catch (err) {
      await this.close();
      throw err;
    }
    this.sockets.push(v4);
    for (const l of [v6, v4]) this.log.info({ listener: l.info.description }, 'listening');
    const families: AddressFamily[] = [4, 6];
    return { ...v6.info, families, description: `${v6.info.name} and ${v4.info.name} (IPv4 and IPv6)` };
  }

  get listening(): ListenerInfo[] {
    return this.sockets.map((l) => l.info);
  }

  /** Whether the stream connection `connectionId` is still open (send() would use it). */
  isConnectionOpen(connectionId: string): boolean {
    return this.pool.byConnectionId(connectionId) !== undefined;
  }

  /**
   * Closes the stream connection `connectionId` at once, if it is open: send() to its peer opens a
   * new one from then on, and its 'connection-closed' (reason `abandoned`) follows.
   */
  closeConnection(connectionId: string): void {
    this.pool.byConnectionId(connectionId)?.close('abandoned');
  }

  /** Open stream connections (those still in a TLS handshake or before their WebSocket upgrade are not yet among them). */
  get connectionCount(): number {
    return this.pool.size;
  }

  /** maxConnections counts pooled connections and accepted ones not yet carrying SIP (TLS handshake, WebSocket upgrade). */
  private get full(): boolean {
    let inUse = this.pool.size;
    for (const l of this.sockets) if (!(l instanceof UdpListener)) inUse += l.pendingConnections;
    return inUse >= this.pool.maxConnections;
  }

  /**
   * Sends bytes to a target: UDP from a listener socket that reaches its family, streams over an
   * open connection to the peer (RFC 3261 18.1.1), or a new TCP/TLS one. Resolves with the identity
   * used; rejects with a TransportError (for the transaction layer's 503, RFC 3261 8.1.3.1).
   */
  send(target: SendTarget, data: Buffer): Promise<SocketIdentity> {
    if (target.address !== this.lastTarget.text) this.lastTarget = checkedAddress(target.address);
    const { family, address } = this.lastTarget;
    if (family === undefined) {
      return Promise.reject(new TransportError('bad-address',
        `cannot send to "${target.address}": not an IP address (resolve names first, RFC 3263)`));
    }
    if (target.protocol !== 'udp') return this.sendOnStream(target, address, family, data);
    // Not async: a datagram costs one promise (every request the proxy forwards is one).
    try {
      return this.sendDatagram(this.pickUdp(family, target.listener, address, target.port), data, address, target.port, family);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private async sendOnStream(target: SendTarget, address: string, family: AddressFamily, data: Buffer): Promise<SocketIdentity> {
    const connection = target.connectionId !== undefined ? this.pool.byConnectionId(target.connectionId) : undefined;
    return this.writeTo(connection ?? await this.connectionTo(target.protocol, address, target.port, family, target.serverName), data);
  }

  /**
   * Sends a response where RFC 3261 18.2.2 / RFC 3581 4 say (symmetric by default): streams on the
   * request's connection. A destination that is broadcast or multicast is dropped with a warning.
   */
  sendResponse(response: SipMessage, requestSource: SocketIdentity, serialized?: Buffer): Promise<void> {
    if (requestSource.protocol === 'udp' && (this.options.symmetricResponses ?? true)) {
      return this.sendSymmetric(serialized ?? response.toBuffer(), requestSource);
    }
    return this.sendRoutedResponse(response, requestSource, serialized);
  }

  /**
   * The common case, kept short (one promise, no route objects): a UDP response goes back to the
   * packet's source from the socket the request came in on (RFC 3581 4, as routeResponse says).
   */
  private sendSymmetric(data: Buffer, requestSource: SocketIdentity): Promise<void> {
    const { address, port, family } = requestSource.remote;
    try {
      if (this.refused(requestSource.remote, requestSource)) return Promise.resolve();
      const listener = this.pickUdp(family, requestSource.listener, address, port);
      return new Promise((resolve, reject) => {
        listener.sendTo(data, address, port, (err) => {
          if (err) {
            reject(err);
            return;
          }
          if (this.listenerCount('trace') > 0) this.safeEmit('trace', 'out', data, listener.identityTo(address, port, family));
          resolve();
        });
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private async sendRoutedResponse(response: SipMessage, requestSource: SocketIdentity, serialized?: Buffer): Promise<void> {
    const topVia = (): Via => routingVia(response);
    const route = routeResponse(topVia, requestSource, { symmetric: this.options.symmetricResponses ?? true });
    if (route === undefined) {
      const message = `response not sent: Via sent-by "${topVia().host}" is a name and there is no received address`;
      this.warn({ code: 'unroutable-response', message, source: requestSource });
      throw new TransportError('bad-address', message);
    }
    const data = serialized ?? response.toBuffer();
    if (route.kind === 'datagram') {
      if (this.refused(route.destination, requestSource)) return;
      const family = addressFamily(route.destination.address) as AddressFamily;
      const listener = this.pickUdp(family, route.listener, route.destination.address, route.destination.port);
      await this.sendDatagram(listener, data, route.destination.address, route.destination.port, family);
      return;
    }
    const open = route.connectionId !== undefined ? this.pool.byConnectionId(route.connectionId) : undefined;
    if (open) {
      await this.writeTo(open, data);
      return;
    }
    // RFC 3261 18.2.2: the connection is gone; tcp/tls open a new one to received (else sent-by).
    const destination = reconnectDestination(topVia(), route.protocol);
    if (destination === undefined) {
      throw new TransportError('no-connection', `${route.protocol} connection ${route.connectionId ?? ''} is closed and cannot be reopened`);
    }
    if (this.refused(destination, requestSource)) return;
    const family = addressFamily(destination.address) as AddressFamily;
    await this.writeTo(await this.connectionTo(route.protocol, destination.address, destination.port, family, undefined), data);
  }

  /**
   * Opens a SIP WebSocket connection to `url` (`ws://...` or `wss://...`) as a client (RFC 7118) and
   * adds it to the pool: send() to its peer (or its connectionId) uses it. Resolves with its identity,
   * whose local endpoint is what a client writes into Via and Contact. When the URL holds the
   * server's resolved address, `serverName` is the name it was found under: the certificate is
   * checked against it, and it is the SNI and the HTTP Host (RFC 5922 7).
   */
  async connectWebSocket(url: string, serverName?: string): Promise<SocketIdentity> {
    if (this.closed) throw new TransportError('closed', 'the transport manager is closed');
    const protocol = url.startsWith('wss:') ? 'wss' : url.startsWith('ws:') ? 'ws' : undefined;
    if (protocol === undefined) throw new TransportError('bad-address', `not a WebSocket URL: ${url}`);
    const { ws, socket } = await openWebSocket(url, {
      timeoutMs: this.options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      tls: this.options.tlsClient ?? {},
      maxPayload: wsMaxPayload(this.limits.maxMessageSize),
      serverName,
    });
    if (this.closed) {
      ws.terminate();
      throw new TransportError('closed', 'the transport manager is closed');
    }
    const connection = this.adopt(new WsConnection(ws, socket, protocol, `${protocol} outbound`, this.inbound,
      this.connectionEvents, this.idleTimeoutMs, this.log));
    return connection.identity;
  }

  /**
   * RFC 6455 5.5.2: a WebSocket Ping on the open ws/wss connection `connectionId` (the keepalive of a
   * WebSocket flow); the peer's Pong is a 'keepalive' event of kind 'pong'. Rejects with a
   * TransportError when there is no such connection.
   */
  pingWebSocket(connectionId: string): Promise<void> {
    const connection = this.pool.byConnectionId(connectionId);
    if (!(connection instanceof WsConnection)) {
      return Promise.reject(new TransportError('no-connection', `no open WebSocket connection ${connectionId}`));
    }
    return connection.ping();
  }

  /**
   * How long datagrams now wait in the fullest UDP receive queue, in ms (0 without UDP sockets or
   * measureQueueDelay); each call sends the next probes, so call it at a steady interval.
   */
  queueDelayMs(): number {
    let delay = 0;
    for (const listener of this.udp) delay = Math.max(delay, listener.sampleQueueDelay());
    return delay;
  }

  /**
   * Datagrams the kernel dropped at our UDP sockets since they opened because their receive queue
   * was full (Linux /proc), or undefined where that cannot be read. Reads files: not for the SIP path.
   */
  udpReceiveDrops(): number | undefined {
    return udpReceiveDrops(this.udp.map((l) => l.boundEndpoint));
  }

  /**
   * Closes every connection and listener. WS/WSS peers get a Close frame (1001, going away) and
   * are cut if they do not answer it within a second (ws-connection.ts): this never waits longer.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const connection of this.pool.all()) connection.close('shutdown');
    await Promise.all(this.sockets.map((l) => l.close()));
    this.sockets.length = 0;
    this.udp.length = 0;
  }

  private receive(data: Buffer, source: SocketIdentity): void {
    this.safeEmit('trace', 'in', data, source);
    const parsed = parseMessage(data, this.limits);
    if (parsed instanceof SipParseError) {
      this.safeEmit('malformed', parsed, data, source);
      return;
    }
    if (parsed.kind === 'request') {
      try {
        if (!stampReceived(parsed, source.remote)) {
          this.safeEmit('malformed', badRequest('missing Via header', parsed), data, source);
          return;
        }
      } catch (err) {
        if (err instanceof SipParseError) {
          err.partial ??= parsed;
          this.safeEmit('malformed', err, data, source);
        } else {
          this.log.error({ err: String(err), bytes: data.length }, 'cannot record received/rport: message dropped');
        }
        return;
      }
    } else if (source.protocol === 'udp') {
      noteReceivedBytes(parsed, data);
    }
    this.safeEmit('message', parsed, source);
  }

  /** A handler that throws must not take a socket callback (and the process) down with it. */
  private safeEmit<K extends keyof TransportEvents>(event: K, ...args: TransportEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: TransportEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ event, err: err instanceof Error ? err.stack : String(err) }, 'transport event handler threw');
    }
  }

  private warn(warning: TransportWarning): void {
    this.log.warn({ code: warning.code, source: warning.source }, warning.message);
    this.safeEmit('warning', warning);
  }

  /** RFC 4475 3.3.10 (bcast): never answer to a broadcast or multicast address. */
  private refused(destination: Destination, source: SocketIdentity): boolean {
    const why = forbiddenDestination(destination.address, this.broadcasts);
    if (why === undefined) return false;
    this.warn({
      code: 'response-to-broadcast',
      message: `response to ${formatHostPort(destination.address, destination.port)} dropped: ${why}`,
      source,
    });
    return true;
  }

  /** The UDP socket to send from: the named one when it reaches the family, else the first that does. */
  private pickUdp(family: AddressFamily, preferred: string | undefined, address: string, port: number): UdpListener {
    const named = preferred === undefined ? undefined : this.udp.find((l) => l.info.name === preferred && l.reaches(family));
    const listener = named ?? this.udp.find((l) => l.reaches(family));
    if (listener === undefined) {
      throw new TransportError('no-listener', `no UDP socket can reach ${formatHostPort(address, port)} (IPv${family}): listen on udp:* or an IPv${family} address`);
    }
    return listener;
  }

  private sendDatagram(listener: UdpListener, data: Buffer, address: string, port: number, family: AddressFamily): Promise<SocketIdentity> {
    return new Promise((resolve, reject) => {
      listener.sendTo(data, address, port, (err) => {
        if (err) {
          reject(err);
          return;
        }
        const identity = listener.identityTo(address, port, family);
        this.safeEmit('trace', 'out', data, identity);
        resolve(identity);
      });
    });
  }

  private async writeTo(connection: Connection, data: Buffer): Promise<SocketIdentity> {
    await connection.write(data);
    this.safeEmit('trace', 'out', data, connection.identity);
    return connection.identity;
  }

  /**
   * An open connection to the peer, or a new TCP/TLS one (one connect at a time per peer). A TLS
   * target named by a domain reuses only a connection that proved to serve that domain (RFC 5922
   * 4.1): the one opened for far.example does not carry a request for near.example because both
   * resolve to the same address.
   */
  private connectionTo(protocol: TransportProtocol, address: string, port: number, family: AddressFamily,
    serverName: string | undefined): Promise<Connection> {
    const named = protocol === 'tls' && serverName !== undefined && isIP(serverName) === 0
      && this.options.tlsClient?.rejectUnauthorized !== false ? serverName.toLowerCase() : undefined;
    const open = this.pool.toPeer(protocol, address, port);
    if (open && (named === undefined || open.authenticates?.(named) === true)) return Promise.resolve(open);
    if (protocol !== 'tcp' && protocol !== 'tls') {
      // RFC 7118: only the WebSocket client opens connections; a server can only answer on one.
      return Promise.reject(new TransportError('no-connection', `no open ${protocol} connection to ${formatHostPort(address, port)}`));
    }
    const key = `${protocol} ${address} ${port}${named === undefined ? '' : ` ${named}`}`;
    const pending = this.connecting.get(key);
    if (pending) return pending;
    const attempt = this.connect(protocol, address, port, family, serverName).finally(() => this.connecting.delete(key));
    this.connecting.set(key, attempt);
    return attempt;
  }

  private async connect(protocol: 'tcp' | 'tls', address: string, port: number, family: AddressFamily,
    serverName: string | undefined): Promise<Connection> {
    if (this.closed) throw new TransportError('closed', 'the transport manager is closed');
    if (this.full) {
      const message = `connection to ${formatHostPort(address, port)} not opened: ${this.pool.maxConnections} connections already open (maxConnections)`;
      this.warn({ code: 'connection-limit', message });
      throw new TransportError('connection-limit', message);
    }
    const socket = await openStream(protocol, address, port, {
      timeoutMs: this.options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      tls: this.options.tlsClient ?? {},
      serverName,
    });
    if (this.closed) {
      socket.destroy();
      throw new TransportError('closed', 'the transport manager is closed');
    }
    const listener = this.sockets.find((l) => l.info.protocol === protocol && l.info.families.includes(family));
    return this.adopt(new StreamConnection(socket, protocol, listener?.info.name ?? `${protocol} outbound`,
      this.inbound, this.connectionEvents, { limits: this.limits, idleTimeoutMs: this.idleTimeoutMs }, this.log));
  }

  private get idleTimeoutMs(): number {
    return this.options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
  }

  private adopt<C extends Connection>(connection: C): C {
    this.pool.add(connection);
    this.log.debug({ connection: connection.identity.connectionId, remote: connection.identity.remote }, 'connection open');
    return connection;
  }

  /** Refuses (with a warning naming the limit) what would exceed maxConnections or maxConnectionsPerAddress. */
  private admit(socket: Socket, listener: ListenerInfo): boolean {
    if (this.closed) return false;
    const remoteAddress = peerAddress(socket) ?? 'unknown';
    if (this.full) {
      this.warn({
        code: 'connection-limit',
        message: `connection from ${remoteAddress} on ${listener.name} refused: ${this.pool.maxConnections} connections already open (maxConnections)`,
      });
      return false;
    }
    if (this.perAddress.take(remoteAddress, socket)) return true;
    this.warn({
      code: 'connection-limit',
      message: `connection from ${remoteAddress} on ${listener.name} refused: ${this.perAddress.max} connections from that address already open (maxConnectionsPerAddress)`,
    });
    return false;
  }

  /** A connected (for tls: handshaken) socket, admitted when it was accepted. */
  private acceptStream(socket: Socket, listener: ListenerInfo): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.adopt(new StreamConnection(socket, listener.protocol as 'tcp' | 'tls', listener.name, this.inbound,
      this.connectionEvents, { limits: this.limits, idleTimeoutMs: this.idleTimeoutMs }, this.log));
  }

  /**
   * An upgraded WebSocket. It was admitted when its TCP connection was accepted (ws-listener.ts), so
   * it is never refused here: over the limit the handshake does not start, rather than getting its
   * 101 and then being dropped.
   */
  private acceptWebSocket(ws: WebSocket, socket: Socket, listener: ListenerInfo): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    this.adopt(new WsConnection(ws, socket, listener.protocol as 'ws' | 'wss', listener.name, this.inbound,
      this.connectionEvents, this.idleTimeoutMs, this.log));
  }

  private onConnectionClosed(connection: Connection, reason: CloseReason): void {
    this.pool.remove(connection);
    this.log.debug({ connection: connection.identity.connectionId, reason }, 'connection closed');
    this.safeEmit('connection-closed', connection.identity, reason);
  }

  /**
   * RFC 3261 18.3: a stream that cannot be framed must close. A request whose start line and Via
   * can still be read is reported as 'malformed' first, so the layer above can answer 400/513.
   */
  private onFramingError(connection: Connection, reason: string, pending: Buffer): void {
    this.log.info({ connection: connection.identity.connectionId, reason }, 'stream framing error: closing the connection');
    const error = framingErrorFor(reason, pending, this.limits);
    if (error) this.safeEmit('malformed', error, pending, connection.identity);
  }
}

/** The response's top Via for routing; a missing or malformed one is a TransportError. */
function routingVia(response: SipMessage): Via {
  let via: Via | undefined;
  try {
    via = response.topVia();
  } catch (err) {
    throw new TransportError('bad-address', `cannot route the response: ${(err as Error).message}`, { cause: err });
  }
  if (via === undefined) throw new TransportError('bad-address', 'cannot route a response without a Via header');
  return via;
}
