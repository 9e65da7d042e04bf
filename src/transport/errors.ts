// Typed transport errors: transactions turn a rejected send into a 503 (RFC 3261 8.1.3.1, 17.1.4).

export type TransportErrorCode =
  | 'address-in-use'
  | 'address-not-available'
  | 'bad-listen-spec'
  | 'bad-address'
  | 'no-certificate'
  | 'no-listener'
  | 'no-connection'
  | 'connection-refused'
  | 'connect-timeout'
  | 'unreachable'
  | 'connection-limit'
  | 'connection-closed'
  | 'message-too-large'
  | 'closed'
  | 'io';

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: TransportErrorCode;

  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Maps a Node system error to our code; `what` names the socket or peer for the message. */
export function fromSystemError(err: unknown, what: string): TransportError {
  if (err instanceof TransportError) return err;
  const sys = err as NodeJS.ErrnoException;
  const text = sys?.message ?? String(err);
  switch (sys?.code) {
    case 'EADDRINUSE':
      return new TransportError('address-in-use', `cannot listen on ${what}: address already in use`, { cause: err });
    case 'EADDRNOTAVAIL':
    case 'EAFNOSUPPORT':
      return new TransportError('address-not-available', `cannot listen on ${what}: address not available on this host`, { cause: err });
    case 'ECONNREFUSED':
      return new TransportError('connection-refused', `${what}: connection refused`, { cause: err });
    case 'ECONNRESET':
    case 'EPIPE':
      return new TransportError('connection-closed', `${what}: connection closed by peer`, { cause: err });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return new TransportError('unreachable', `${what}: ${sys.code === 'ENETUNREACH' ? 'network' : 'host'} unreachable`, { cause: err });
    case 'EMSGSIZE':
      return new TransportError('message-too-large', `${what}: message too large for the socket`, { cause: err });
    default:
      return new TransportError('io', `${what}: ${text}`, { cause: err });
  }
}
