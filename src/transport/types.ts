// Shared transport types: the socket identity every message carries (docs/internals.md, transport/).

/** SIP transport tokens (RFC 3261 18, RFC 7118 for ws/wss). `sctp` exists in SIP but is not implemented; there is no `udp6`. */
export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export type AddressFamily = 4 | 6;

export interface Endpoint {
  /** Normalized: IPv4 dotted quad, IPv6 bare (no brackets), never `::ffff:a.b.c.d`. */
  address: string;
  port: number;
  family: AddressFamily;
}

export interface SocketIdentity {
  protocol: TransportProtocol;
  local: Endpoint;
  remote: Endpoint;
  /** The listener's name, e.g. `udp [::]:5060`; `tcp outbound` for a connection we opened with no listener of its kind. */
  listener: string;
  /** Set for stream transports (tcp, tls, ws, wss): the connection the bytes came on or left by. */
  connectionId?: string;
}

export interface SendTarget {
  protocol: TransportProtocol;
  /** An IP address (IPv4 or IPv6, with or without brackets); name resolution (RFC 3263) happens above. */
  address: string;
  port: number;
  /** Prefer this connection when it is still open (streams). */
  connectionId?: string;
  /** UDP: send from this listener (its name, as in SocketIdentity.listener) instead of the first that fits. */
  listener?: string;
  /** TLS: the name to verify the peer certificate against (RFC 5922 7); defaults to no SNI for IP targets. */
  serverName?: string;
}

export interface ListenerInfo {
  protocol: TransportProtocol;
  /** The bound address: `::` or `0.0.0.0` for wildcards. */
  address: string;
  port: number;
  /** Which address families the socket really serves. */
  families: AddressFamily[];
  /** `udp [::]:5060`: the value of SocketIdentity.listener for messages on this socket. */
  name: string;
  /** `udp [::]:5060 (IPv4 and IPv6)`. */
  description: string;
  /** UDP: SO_RCVBUF as the kernel reports it after our request (Linux reports twice the usable size). */
  receiveBufferSize?: number;
}

/** TLS credentials for tls/wss listeners: PEM text (`cert`, `key`) or files holding it (`certFile`, `keyFile`). */
export interface TlsCredentials {
  cert?: string;
  key?: string;
  certFile?: string;
  keyFile?: string;
}

/** Options for connections we open as a TLS or WSS client. */
export interface TlsClientOptions {
  /** Verify the server certificate (default true). */
  rejectUnauthorized?: boolean;
  /** Trusted CA certificates (PEM text); as in Node, they replace the built-in list rather than add to it. */
  ca?: string;
}

export type KeepaliveKind = 'nul' | 'crlf' | 'ping' | 'pong' | 'stun';

/** A pino-compatible logger; only these methods are used. */
export interface TransportLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export type TransportWarningCode =
  | 'response-to-broadcast'
  | 'connection-limit'
  | 'unroutable-response';

export interface TransportWarning {
  code: TransportWarningCode;
  message: string;
  source?: SocketIdentity;
}
