// The digest computations of RFC 2617 3.2.2 (MD5) and RFC 7616 3.4.1 (SHA-256), node:crypto only.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { DigestAlgorithm } from './types.js';

const NODE_NAMES: Record<DigestAlgorithm, string> = { 'MD5': 'md5', 'SHA-256': 'sha256' };

/** H(data): lower-case hex, as both RFCs put it on the wire. Strings are hashed as UTF-8 (RFC 7616 4). */
export function digestHash(algorithm: DigestAlgorithm, data: string): string {
  return createHash(NODE_NAMES[algorithm]).update(data, 'utf8').digest('hex');
}

/** HA1 = H(username ":" realm ":" password) (RFC 2617 3.2.2.2, RFC 7616 3.4.2). */
export function computeHa1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return digestHash(algorithm, `${username}:${realm}:${password}`);
}

export interface ResponseInput {
  algorithm: DigestAlgorithm;
  ha1: string;
  nonce: string;
  method: string;
  /** The digest-uri value exactly as the client sent it. */
  uri: string;
  /** qop=auth with its nc (8 hex digits as sent) and cnonce; absent for the RFC 2069 form. */
  qop?: { nc: string; cnonce: string };
}

/**
 * request-digest (RFC 2617 3.2.2.1, RFC 7616 3.4.1): with qop=auth
 * KD(HA1, nonce:nc:cnonce:qop:HA2), without qop (RFC 2069) KD(HA1, nonce:HA2); HA2 = H(method:uri)
 * since only qop=auth is supported (no auth-int body hash).
 */
export function computeResponse(input: ResponseInput): string {
  const ha2 = digestHash(input.algorithm, `${input.method}:${input.uri}`);
  const middle = input.qop === undefined ? input.nonce : `${input.nonce}:${input.qop.nc}:${input.qop.cnonce}:auth`;
  return digestHash(input.algorithm, `${input.ha1}:${middle}:${ha2}`);
}

/**
 * The algorithm parameter, case-insensitive (RFC 7616 3.3); absent means MD5 (RFC 2617 3.2.1).
 * The -sess variants are not supported (undefined): no SIP client we serve needs them.
 */
export function parseAlgorithm(value: string | undefined): DigestAlgorithm | undefined {
  if (value === undefined) return 'MD5';
  switch (value.toUpperCase()) {
    case 'MD5': return 'MD5';
    case 'SHA-256': return 'SHA-256';
    default: return undefined;
  }
}

/** Constant-time comparison of two hex digests (lower-cased first: RFC 2617 says LHEX, some clients shout). */
export function digestsEqual(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'latin1');
  const b = Buffer.from(received.toLowerCase(), 'latin1');
  // timingSafeEqual needs equal lengths; the length of a digest is no secret.
  return a.length === b.length && timingSafeEqual(a, b);
}
