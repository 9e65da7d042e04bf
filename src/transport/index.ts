// The transport layer's public surface (docs/internals.md, transport/).
export { TransportManager } from './transport-manager.js';
export type { ListenOptions, TraceDirection, TransportEvents, TransportManagerOptions } from './transport-manager.js';
export { TransportError } from './errors.js';
export type { TransportErrorCode } from './errors.js';
export { addressFamily, normalizeAddress, sameAddress } from './address.js';
export { parseListenSpec } from './listen-spec.js';
export type { ListenSpec } from './listen-spec.js';
export type { CloseReason } from './connection.js';
export type {
  AddressFamily, Endpoint, KeepaliveKind, ListenerInfo, SendTarget, SocketIdentity, TlsClientOptions, TlsCredentials,
  TransportLogger, TransportProtocol, TransportWarning, TransportWarningCode,
} from './types.js';
