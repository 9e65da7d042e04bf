// Public surface of digest authentication (docs/internals.md, auth/).
export type { AuthFailure, AuthOutcome, CredentialSource, DigestAlgorithm } from './types.js';
export {
  DEFAULT_ALGORITHMS, DEFAULT_MAX_TRACKED_NONCES, DEFAULT_NONCE_LIFETIME_SECONDS, DigestServer,
  type AuthRole, type DigestServerOptions,
} from './digest-server.js';
export { answerChallenge, NonceCounter, pickChallenge } from './digest-client.js';
export { computeHa1 } from './digest-hash.js';
export { InvalidUserError, UserDirectory } from './user-directory.js';
export { loadOrCreateSecret, SECRET_FILE } from './secret.js';
