// Typed client errors: what a caller (and the CLI's exit code) can act on.

export type SipClientErrorCode =
  /** Credentials refused: a second challenge after our answer, without stale=true (RFC 3261 22.2). */
  | 'auth-failed'
  /** No response (Timer F, RFC 3261 17.1.2.2: a 408) or the transport failed (a 503, 8.1.3.1) on every target. */
  | 'unreachable'
  /** DNS gave no target for the server (RFC 3263 4). */
  | 'resolution-failed'
  /** The server answered with a final failure response. */
  | 'rejected'
  /** The user agent was closed. */
  | 'closed'
  /** A bad option (URI, transport, port range). */
  | 'invalid-option';

export class SipClientError extends Error {
  override readonly name = 'SipClientError';

  constructor(
    readonly code: SipClientErrorCode,
    message: string,
    /** The SIP status behind the error, when there is one (408 and 503 may be local, see `local`). */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
