// RFC 3263 4: where a request for a SIP URI goes, as an ordered list of (transport, address, port)
// to try one after the other (4.3: a failed target moves on to the next). The proxy uses it for
// domains it does not serve and for Route entries that name a host; the work is transport/locate.ts,
// which the client uses too.
import { promises as dnsPromises } from 'node:dns';
import type { SipUri } from '../sip/uri.js';
import { locate, type DnsLookup } from '../transport/locate.js';
import type { SendTarget } from '../transport/types.js';

export class DnsResolver {
  constructor(private readonly dns: DnsLookup = dnsPromises) {}

  /**
   * Targets to try in order; empty when the name does not resolve (the caller answers 503/404). A
   * TLS peer's certificate must name the URI's domain (RFC 5922 4.1), not the SRV target.
   */
  async resolve(uri: SipUri): Promise<SendTarget[]> {
    return (await locate(uri, this.dns)).map(({ protocol, address, port, host }) => ({ protocol, address, port, serverName: host }));
  }
}
