// Which Request-URIs address this server itself (RFC 3261 16.4: a proxy recognizes the URIs it put
// in Record-Route, and 10.3/16.5: the domains it is responsible for).
import { networkInterfaces } from 'node:os';
import { isSipUri, type Uri } from '../sip/uri.js';
import { canonicalDomain, normalizeAddress } from '../transport/address.js';

export class LocalIdentity {
  private readonly domains = new Set<string>();
  private readonly addresses = new Set<string>();
  private readonly ports = new Set<number>();

  /**
   * `domains` in any spelling: kept in the form isLocalDomain compares (RFC 3261 19.1.4, RFC 5954
   * 4.1), so `--domain 2001:DB8:0::1` serves `sip:[2001:db8::1]` and `--domain ::ffff:192.0.2.7`
   * serves `sip:192.0.2.7`.
   */
  constructor(domains: readonly string[]) {
    for (const d of domains) this.domains.add(canonicalDomain(d));
    this.domains.add('localhost');
  }

  /** Record a listening socket: its port, and its addresses (every interface address for a wildcard). */
  addListener(address: string, port: number): void {
    this.ports.add(port);
    if (address === '0.0.0.0' || address === '::') {
      for (const list of Object.values(networkInterfaces())) {
        for (const info of list ?? []) this.addresses.add(normalizeAddress(info.address).toLowerCase());
      }
    } else {
      this.addresses.add(normalizeAddress(address).toLowerCase());
    }
  }

  /**
   * A domain we serve (users live here), whatever the port. An IPv6 literal is compared in its
   * canonical form, and an IPv4-mapped one (`[::ffff:127.0.0.1]`) as the IPv4 address it carries.
   */
  isLocalDomain(host: string): boolean {
    const h = canonicalDomain(host);
    return this.domains.has(h) || this.addresses.has(h);
  }

  /**
   * Whether two domains (hosts as written in URIs, IPv6 in brackets or not) are one: the same name,
   * or both names of this server itself, its addresses or localhost. A dual-stack server is one place
   * whichever family a client reached it by; the `--domain` names stay domains of their own.
   */
  sameDomain(a: string, b: string): boolean {
    const x = normalizeAddress(a).toLowerCase();
    const y = normalizeAddress(b).toLowerCase();
    return x === y || (this.isOwnHost(x) && this.isOwnHost(y));
  }

  private isOwnHost(host: string): boolean {
    return host === 'localhost' || this.addresses.has(host);
  }

  /** The URI names this server: one of our hosts, and no port or one we listen on. */
  isLocalUri(uri: Uri): boolean {
    if (!isSipUri(uri)) return false;
    if (!this.isLocalDomain(uri.host)) return false;
    return uri.port === undefined || this.ports.has(uri.port);
  }

  get domainList(): string[] {
    return [...this.domains];
  }
}
