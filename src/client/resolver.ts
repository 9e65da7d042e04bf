// Where the client sends: its registrar or outbound proxy located by RFC 3263 (transport/locate.ts),
// with the errors a user can act on.
import { promises as dnsPromises } from 'node:dns';
import type { SipUri } from '../sip/uri.js';
import { locate, parseTransport, type DnsLookup, type LocatedTarget } from '../transport/locate.js';
import type { TransportProtocol } from '../transport/types.js';
import { SipClientError } from './errors.js';

export type { DnsLookup, NaptrRecord, SrvRecord } from '../transport/locate.js';
export type ServerTarget = LocatedTarget;

/**
 * The ordered targets for `uri` (the registrar or the outbound proxy). `preferred` is the transport
 * asked for by the user when the URI names none. Throws SipClientError('invalid-option') for a
 * transport we do not speak, SipClientError('resolution-failed') when nothing resolves.
 */
export async function resolveServer(uri: SipUri, preferred?: TransportProtocol, dns: DnsLookup = dnsPromises): Promise<ServerTarget[]> {
  if (uri.params.has('transport') && parseTransport(uri.params.get('transport')) === undefined) {
    throw new SipClientError('invalid-option', `unsupported transport=${uri.params.get('transport') ?? ''} in ${uri.host}`);
  }
  const targets = await locate(uri, dns, preferred);
  if (targets.length === 0) throw new SipClientError('resolution-failed', `cannot resolve ${uri.host}: no NAPTR, SRV, AAAA or A record, and not in the hosts file`);
  return targets;
}
