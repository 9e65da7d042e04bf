// Request methods the stack recognizes (RFC 3261 plus the SIP extensions simplesip speaks).
// A method outside this set gets 501 Not Implemented (RFC 3261 8.2.1); a recognized method that
// this server does not (yet) serve at a URI gets 405 Method Not Allowed with Allow.
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'ACK', 'BYE', 'CANCEL', 'INFO', 'INVITE', 'MESSAGE', 'NOTIFY', 'OPTIONS', 'PRACK', 'PUBLISH',
  'REFER', 'REGISTER', 'SUBSCRIBE', 'UPDATE',
]);

/** Methods this server answers itself today (the Allow header of its responses). */
export const ALLOWED_METHODS: readonly string[] = ['OPTIONS', 'REGISTER', 'ACK', 'CANCEL'];

/** SIP extensions (option tags) the server implements, for Supported and Require checks: Path (RFC 3327). */
export const SUPPORTED_EXTENSIONS: readonly string[] = ['path'];

/** Body types the server understands when it is the UAS (RFC 3261 8.2.3). */
export const ACCEPTED_BODY_TYPES: readonly string[] = [];
