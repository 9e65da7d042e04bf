// Digest authentication contracts (docs/internals.md, auth/).
export type DigestAlgorithm = 'MD5' | 'SHA-256';

/** Where the verifier finds HA1 for a user; never a password. */
export interface CredentialSource {
  /** HA1 for username@realm with this algorithm, or undefined for an unknown user. */
  ha1(username: string, realm: string, algorithm: DigestAlgorithm): string | undefined;
}

/** Why a request was not authenticated (for logs and stats; never told to the peer). */
export type AuthFailure = 'no-credentials' | 'unknown-user' | 'wrong-password' | 'stale-nonce' | 'bad-nonce'
  | 'replayed-nc' | 'wrong-realm' | 'wrong-uri' | 'malformed';

export type AuthOutcome =
  | { ok: true; username: string; realm: string }
  | {
    ok: false;
    /** 401 for a registrar (WWW-Authenticate), 407 for a proxy (Proxy-Authenticate), RFC 3261 22.1/22.3. */
    status: 401 | 407;
    reason: string;
    /** The challenge headers to put in the response (one per algorithm offered). */
    headers: Array<[string, string]>;
    failure: AuthFailure;
  };
