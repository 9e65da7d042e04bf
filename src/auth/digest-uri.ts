// Does the digest-uri name the Request-URI? RFC 2617 3.2.2.5 / RFC 7616 3.4.6 want the server to check
// that the digest covers the resource actually requested, or a captured answer could be reused for
// another Request-URI.
import { isSipUri, parseUri, SipParseError, uriEquals, type Uri } from '../sip/index.js';

function parse(text: string): Uri | undefined {
  try {
    return parseUri(text);
  } catch (err) {
    if (err instanceof SipParseError) return undefined;
    throw err;
  }
}

/**
 * Accepted: the same text; URIs equal under RFC 3261 19.1.4; or a digest-uri without a port that
 * equals the Request-URI once its port (any port, not only 5060/5061) is dropped. The last case is
 * for clients that write the configured server without its port (libpurple: `uri="sip:127.0.0.1"`
 * for `sip:127.0.0.1:5070`); the port changes no credential, host and user must still agree.
 * A digest-uri with a port the Request-URI lacks is refused: nothing sends that.
 */
export function digestUriMatches(digestUri: string, requestUri: string): boolean {
  if (digestUri === requestUri) return true;
  const d = parse(digestUri);
  const r = parse(requestUri);
  if (d === undefined || r === undefined) return false;
  if (uriEquals(d, r)) return true;
  return isSipUri(d) && isSipUri(r) && d.port === undefined && r.port !== undefined &&
    uriEquals(d, { ...r, params: r.params, port: undefined });
}
