// RFC 3263 4: where a request for a SIP URI goes, as an ordered list of (transport, address, port)
// to try one after the other (4.3: a failed target moves on to the next). The proxy uses it for
// domains it does not serve and for Route entries that name a host.
import { promises as dnsPromises } from 'node:dns';
import { isIP } from 'node:net';
import type { SipUri } from '../sip/uri.js';
import { normalizeAddress } from '../transport/address.js';
import type { SendTarget, TransportProtocol } from '../transport/types.js';

/** The DNS queries resolution needs (node:dns/promises has them; tests give a fake). */
export interface DnsClient {
  resolveNaptr(name: string): Promise<Array<{ flags: string; service: string; replacement: string; order: number; preference: number }>>;
  resolveSrv(name: string): Promise<Array<{ name: string; port: number; priority: number; weight: number }>>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

// RFC 3263 4.1: NAPTR services we can use, and the SRV prefix of each transport (RFC 3261 19.1.2 / 26.2).
const NAPTR_SERVICES: Readonly<Record<string, TransportProtocol>> = { 'SIP+D2U': 'udp', 'SIP+D2T': 'tcp', 'SIPS+D2T': 'tls' };
const SRV_PREFIX: Readonly<Record<string, string>> = { udp: '_sip._udp.', tcp: '_sip._tcp.', tls: '_sips._tcp.' };

function defaultPort(protocol: TransportProtocol): number {
  return protocol === 'tls' || protocol === 'wss' ? 5061 : 5060;
}

/** RFC 3263 4.1: an explicit transport parameter wins; sips means TLS. */
function explicitTransport(uri: SipUri): TransportProtocol | undefined {
  const t = uri.params.get('transport')?.toLowerCase();
  if (t === 'udp' || t === 'tcp' || t === 'tls' || t === 'ws' || t === 'wss') return uri.scheme === 'sips' && t === 'tcp' ? 'tls' : t;
  return uri.scheme === 'sips' ? 'tls' : undefined;
}

async function addresses(dns: DnsClient, host: string): Promise<string[]> {
  const settle = async (q: Promise<string[]>): Promise<string[]> => q.catch(() => []);
  const [v4, v6] = await Promise.all([settle(dns.resolve4(host)), settle(dns.resolve6(host))]);
  return [...v4, ...v6];
}

/** RFC 2782: lowest priority first; within one priority, the heavier first (deterministic rather than weighted-random). */
function srvOrder(a: { priority: number; weight: number }, b: { priority: number; weight: number }): number {
  return a.priority - b.priority || b.weight - a.weight;
}

async function fromSrv(dns: DnsClient, name: string, protocol: TransportProtocol): Promise<SendTarget[]> {
  const records = await dns.resolveSrv(name).catch(() => []);
  const out: SendTarget[] = [];
  for (const r of records.sort(srvOrder)) {
    for (const address of await addresses(dns, r.name)) out.push({ protocol, address, port: r.port });
  }
  return out;
}

export class DnsResolver {
  constructor(private readonly dns: DnsClient = dnsPromises) {}

  /** Targets to try in order; empty when the name does not resolve (the caller answers 503/404). */
  async resolve(uri: SipUri): Promise<SendTarget[]> {
    // maddr overrides the host (RFC 3261 19.1.1), and is what RFC 3263 4 resolves.
    const host = uri.params.get('maddr') ?? uri.host;
    const transport = explicitTransport(uri);
    // RFC 3263 4.2: a numeric host, or an explicit port, means no NAPTR/SRV.
    // An IPv4-mapped IPv6 literal is the IPv4 address it carries: sent to over IPv4, with a Via to match.
    if (isIP(host) !== 0) return [{ protocol: transport ?? 'udp', address: normalizeAddress(host), port: uri.port ?? defaultPort(transport ?? 'udp') }];
    if (uri.port !== undefined) {
      const protocol = transport ?? 'udp';
      return (await addresses(this.dns, host)).map((address) => ({ protocol, address, port: uri.port as number }));
    }
    if (transport !== undefined) {
      const srv = SRV_PREFIX[transport] === undefined ? [] : await fromSrv(this.dns, SRV_PREFIX[transport] + host, transport);
      if (srv.length > 0) return srv;
      return (await addresses(this.dns, host)).map((address) => ({ protocol: transport, address, port: defaultPort(transport) }));
    }
    // RFC 3263 4.1: NAPTR first (lowest order, then preference), then SRV for each transport we speak.
    const naptr = await this.dns.resolveNaptr(host).catch(() => []);
    const usable = naptr
      .filter((r) => r.flags.toLowerCase() === 's' && NAPTR_SERVICES[r.service.toUpperCase()] !== undefined)
      .sort((a, b) => a.order - b.order || a.preference - b.preference);
    const out: SendTarget[] = [];
    for (const r of usable) out.push(...await fromSrv(this.dns, r.replacement, NAPTR_SERVICES[r.service.toUpperCase()]));
    if (out.length > 0) return out;
    if (usable.length === 0) {
      for (const protocol of ['udp', 'tcp', 'tls'] as const) out.push(...await fromSrv(this.dns, SRV_PREFIX[protocol] + host, protocol));
      if (out.length > 0) return out;
    }
    // RFC 3263 4.2: no NAPTR and no SRV: A/AAAA of the host, UDP on 5060.
    return (await addresses(this.dns, host)).map((address) => ({ protocol: 'udp' as const, address, port: 5060 }));
  }
}
