// Locating a SIP server (RFC 3263 4): transport by NAPTR, port and host by SRV, addresses by AAAA and
// A (and the hosts file), giving an ordered list of targets to fail over through (RFC 3263 4.3: on a
// timeout or transport error, try the next). The client locates its registrar or outbound proxy with
// it, the proxy the next hop of a request for a domain it does not serve.
import { isIP } from 'node:net';
import type { SipUri } from '../sip/uri.js';
import type { TransportProtocol } from './types.js';
import { normalizeAddress } from './address.js';

export interface NaptrRecord { flags: string; service: string; replacement: string; order: number; preference: number }
export interface SrvRecord { name: string; port: number; priority: number; weight: number }

/** The node:dns functions we use; tests pass a table. Errors mean "no such record". */
export interface DnsLookup {
  resolveNaptr(name: string): Promise<NaptrRecord[]>;
  resolveSrv(name: string): Promise<SrvRecord[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
  /**
   * The system's resolver (the hosts file, then DNS, as getaddrinfo does it): used for `localhost`
   * and when DNS has no A or AAAA record for a name, e.g. one only /etc/hosts knows.
   */
  lookup?(name: string, options: { all: true }): Promise<Array<{ address: string; family: number }>>;
}

export interface LocatedTarget {
  protocol: TransportProtocol;
  address: string;
  port: number;
  family: 4 | 6;
  /**
   * The SIP domain the target serves: the URI's host (or maddr), never an SRV target name, since
   * DNS answers are not authenticated (RFC 5922 4.1, 7.2). A TLS certificate is checked against it,
   * and it is the SNI and the WebSocket Host.
   */
  host: string;
}

/** RFC 3261 19.1.2 and RFC 7118: the default ports. */
export function defaultPort(protocol: TransportProtocol): number {
  switch (protocol) {
    case 'udp': case 'tcp': return 5060;
    case 'tls': return 5061;
    case 'ws': return 80;
    case 'wss': return 443;
  }
}

const NAPTR_SERVICES: Record<string, TransportProtocol> = {
  'SIP+D2U': 'udp', 'SIP+D2T': 'tcp', 'SIPS+D2T': 'tls', 'SIP+D2W': 'ws', 'SIPS+D2W': 'wss',
};

/** RFC 3263 4.1 / RFC 2782: the SRV owner name for a transport. */
function srvName(protocol: TransportProtocol, host: string): string {
  switch (protocol) {
    case 'udp': return `_sip._udp.${host}`;
    case 'tcp': return `_sip._tcp.${host}`;
    case 'tls': return `_sips._tcp.${host}`;
    case 'ws': return `_sip._ws.${host}`;
    case 'wss': return `_sips._ws.${host}`;
  }
}

/** A `transport` parameter we speak, or undefined (none, or one we do not know). */
export function parseTransport(value: string | null | undefined): TransportProtocol | undefined {
  const t = value?.toLowerCase();
  return t === 'udp' || t === 'tcp' || t === 'tls' || t === 'ws' || t === 'wss' ? t : undefined;
}

async function orEmpty<T>(lookup: Promise<T[]>): Promise<T[]> {
  try {
    return await lookup;
  } catch {
    return [];
  }
}

/** RFC 2782: lowest priority first; within one priority, higher weight first (a stable stand-in for weighted random). */
function sortSrv(records: SrvRecord[]): SrvRecord[] {
  return [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight);
}

/** RFC 6761 6.3: `localhost` and names under it are the loopback, not something to ask DNS about. */
function isLocalhost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

/** An address as we send to it: an IPv4-mapped IPv6 address is the IPv4 address it carries. */
function literal(address: string): { address: string; family: 4 | 6 } | undefined {
  const a = normalizeAddress(address);
  const family = isIP(a);
  return family === 0 ? undefined : { address: a, family: family as 4 | 6 };
}

async function systemAddresses(dns: DnsLookup, host: string): Promise<Array<{ address: string; family: 4 | 6 }>> {
  if (dns.lookup === undefined) return [];
  const found = await dns.lookup(host, { all: true }).catch(() => []);
  return found.map((a) => literal(a.address)).filter((a) => a !== undefined);
}

async function addresses(dns: DnsLookup, host: string): Promise<Array<{ address: string; family: 4 | 6 }>> {
  const numeric = literal(host);
  if (numeric !== undefined) return [numeric];
  if (isLocalhost(host)) return systemAddresses(dns, host);
  const [v6, v4] = await Promise.all([orEmpty(dns.resolve6(host)), orEmpty(dns.resolve4(host))]);
  const found = [...v6, ...v4].map(literal).filter((a) => a !== undefined);
  return found.length > 0 ? found : systemAddresses(dns, host);
}

/** The addresses of `name` as targets of the SIP domain `domain`. */
async function expand(dns: DnsLookup, protocol: TransportProtocol, name: string, port: number, domain = name): Promise<LocatedTarget[]> {
  return (await addresses(dns, name)).map((a) => ({ protocol, address: a.address, port, family: a.family, host: domain }));
}

async function fromSrv(dns: DnsLookup, protocol: TransportProtocol, name: string, domain: string): Promise<LocatedTarget[]> {
  const out: LocatedTarget[] = [];
  for (const srv of sortSrv(await orEmpty(dns.resolveSrv(name)))) out.push(...await expand(dns, protocol, srv.name, srv.port, domain));
  return out;
}

/**
 * The ordered targets for `uri`, empty when it does not resolve. `preferred` is the transport to use
 * when the URI names none. The host is `maddr` when present (RFC 3261 19.1.1). A SIPS URI means TLS
 * (`transport=tcp` is TLS over TCP, RFC 3263 4.1; `transport=ws` is WSS) and only SIPS NAPTR services.
 */
export async function locate(uri: SipUri, dns: DnsLookup, preferred?: TransportProtocol): Promise<LocatedTarget[]> {
  const secure = uri.scheme === 'sips';
  const named = parseTransport(uri.params.get('transport')) ?? preferred;
  // TLS is what SIPS means on every hop (RFC 5630 3.1.1): over TCP that is tls, over WebSocket wss (RFC 7118 5.2).
  const explicit = secure && named === 'tcp' ? 'tls' : secure && named === 'ws' ? 'wss' : named;
  const host = uri.params.get('maddr') ?? uri.host;
  // RFC 3263 4.1: a numeric host or an explicit port means no NAPTR and no SRV; nor does localhost.
  if (literal(host) !== undefined || isLocalhost(host) || uri.port !== undefined) {
    const protocol = explicit ?? (secure ? 'tls' : 'udp');
    return expand(dns, protocol, host, uri.port ?? defaultPort(protocol));
  }
  if (explicit !== undefined) {
    // RFC 3263 4.2: transport known, SRV for it, else A/AAAA on the default port.
    const targets = await fromSrv(dns, explicit, srvName(explicit, host), host);
    return targets.length > 0 ? targets : expand(dns, explicit, host, defaultPort(explicit));
  }
  const targets = await viaNaptr(dns, host, secure);
  if (targets.length === 0) {
    // RFC 3263 4.1: no NAPTR: SRV for each transport we support; then A/AAAA with UDP (TLS for sips).
    const order: TransportProtocol[] = secure ? ['tls'] : ['udp', 'tcp', 'tls'];
    for (const p of order) targets.push(...await fromSrv(dns, p, srvName(p, host), host));
  }
  if (targets.length > 0) return targets;
  const protocol = secure ? 'tls' : 'udp';
  return expand(dns, protocol, host, defaultPort(protocol));
}

async function viaNaptr(dns: DnsLookup, host: string, secure: boolean): Promise<LocatedTarget[]> {
  const records = (await orEmpty(dns.resolveNaptr(host)))
    .filter((r) => r.flags.toLowerCase() === 's' && NAPTR_SERVICES[r.service.toUpperCase()] !== undefined)
    // RFC 3263 4.1: a sips URI only uses the SIPS services.
    .filter((r) => !secure || r.service.toUpperCase().startsWith('SIPS+'))
    .sort((a, b) => a.order - b.order || a.preference - b.preference);
  const out: LocatedTarget[] = [];
  for (const r of records) out.push(...await fromSrv(dns, NAPTR_SERVICES[r.service.toUpperCase()], r.replacement, host));
  return out;
}
