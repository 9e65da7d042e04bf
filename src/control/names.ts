// The names an operator types into `ctl`, turned into the keys the server uses: an AOR as the
// location service keys it, a user as USER@DOMAIN.
import { SipParseError } from '../sip/errors.js';
import { isIP } from 'node:net';
import { aorOf } from '../registrar/binding-key.js';
import { canonicalDomain } from '../transport/address.js';
import { normalizeEscapes } from '../sip/uri-equals.js';
import { isSipUri, parseUri } from '../sip/uri.js';

export class NameError extends Error {}

/**
 * `alice@example.com`, `sip:alice@Example.COM:5060;transport=tcp` -> `sip:alice@example.com`: scheme
 * (sip when omitted), user as written, lower-case host, no port or parameters (the AOR key of
 * store/types.ts BindingRecord.aor).
 */
export function normalizeAor(text: string): string {
  const trimmed = text.trim();
  const withScheme = /^sips?:/i.test(trimmed) ? trimmed : `sip:${trimmed}`;
  let uri;
  try {
    uri = parseUri(withScheme);
  } catch (err) {
    if (err instanceof SipParseError) throw new NameError(`not a SIP address of record: "${text}"`);
    throw err;
  }
  if (!isSipUri(uri)) throw new NameError(`not a SIP address of record: "${text}"`);
  // The registrar's own key (escapes of unreserved characters decoded: %72uth is ruth, RFC 3261 19.1.4).
  return aorOf(uri);
}

/** normalizeAor for a user's address: `sip:alice@example.com` yes, a bare domain such as `sip:x` no. */
export function normalizeUserAor(text: string): string {
  const aor = normalizeAor(text);
  if (!aor.includes('@')) throw new NameError(`not a USER@DOMAIN address of record: "${text}"`);
  return aor;
}

/** A contact URI to match bindings with; checked here so a typo is a 400, not a failure deeper down. */
export function checkContactUri(text: string): string {
  try {
    parseUri(text);
  } catch (err) {
    if (err instanceof SipParseError) throw new NameError(`not a contact URI: "${text}"`);
    throw err;
  }
  return text;
}

/**
 * A domain as users are keyed by it (canonicalDomain, the host of the AOR and the digest realm):
 * lower-case, an IPv6 address bare and canonical (`[0:0:0:0:0:0:0:1]` is `::1`), an IPv4-mapped one
 * the IPv4 address it carries (`[::ffff:127.0.0.1]` is `127.0.0.1`), so `ctl user list [::1]` finds
 * the users `user list ::1` does (RFC 3261 19.1.4 compares addresses, not their spellings).
 */
export function normalizeDomain(text: string): string {
  return canonicalDomain(text);
}

export interface UserName {
  username: string;
  /** Canonical (normalizeDomain): it is also the digest realm. */
  domain: string;
}

/**
 * `alice@example.com`: the domain is what follows the last `@`. An IPv6 domain (one of the server's
 * own addresses) is written `alice@[::1]` or `alice@::1`, in any spelling, and kept bare and
 * canonical, as the realm of a To URI `sip:alice@[0:0:0:0:0:0:0:1]` is; an IPv4-mapped one is the
 * IPv4 address (`dave@[::ffff:127.0.0.1]` is dave@127.0.0.1). The user is keyed as the registrar
 * keys the AOR (RFC 3261 19.1.4): an escaped unreserved character is the character (`%64ave` is
 * `dave`, who may exist already) and other escapes are upper-case hex, so one user cannot be added
 * twice under two spellings, one of which no UA could ever log in as. `verbatim` keeps the user
 * part as typed (to remove a user stored so before this rule).
 */
export function parseUserName(text: string, verbatim = false): UserName {
  const at = text.lastIndexOf('@');
  const written = text.slice(0, at);
  const username = verbatim ? written : normalizeEscapes(written);
  const domain = normalizeDomain(text.slice(at + 1));
  const ipv6 = isIP(domain) === 6;
  if (at <= 0 || domain === '' || /[\s@;/[\]]/.test(domain) || (!ipv6 && domain.includes(':')) || /[\s:;]/.test(username)) {
    throw new NameError(`a user is USER@DOMAIN, e.g. alice@example.com or alice@[2001:db8::1], not "${text}"`);
  }
  return { username, domain };
}
