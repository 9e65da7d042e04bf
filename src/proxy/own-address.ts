// The address of ours a next hop reaches, for the Via sent-by (RFC 3261 16.6 step 8) and the
// Record-Route URI (16.6 step 4) of a request we forward, and the test of whether a Via or Route
// names us.
import { formatHostPort } from '../sip/uri.js';
import { addressFamily } from '../transport/address.js';
import { sharedSourceAddresses, type SourceAddresses } from '../transport/source-address.js';
import type { ListenerInfo, TransportProtocol } from '../transport/types.js';

export interface HopAddress {
  protocol: TransportProtocol;
  /** Bare address (IPv6 without brackets). */
  host: string;
  port: number;
  /** UDP: the listener to send from (SendTarget.listener). */
  listener?: string;
}

export class OwnAddresses {
  constructor(
    private readonly listeners: () => readonly ListenerInfo[],
    private readonly sources: SourceAddresses = sharedSourceAddresses(),
  ) {}

  /**
   * Our address and port as the peer at `peer` sees them over `protocol`: the listener of that
   * transport and family (any listener when we have none of that transport: a connection we open
   * ourselves still needs a sent-by), with a wildcard replaced by the address of ours the kernel
   * routes toward the peer from (transport/source-address.ts).
   */
  toward(protocol: TransportProtocol, peer: string): HopAddress {
    const listener = this.listenerToward(protocol, peer);
    return {
      protocol,
      host: this.sources.toward(listener.address, peer),
      port: listener.port,
      listener: listener.protocol === 'udp' && protocol === 'udp' ? listener.name : undefined,
    };
  }

  /** A promise while our address toward `peer` is still being learned (toward() would guess); else undefined. */
  pending(protocol: TransportProtocol, peer: string): Promise<void> | undefined {
    return this.sources.pending(this.listenerToward(protocol, peer).address, peer);
  }

  /** The listener of that transport and family, else any of that family, else the first. */
  private listenerToward(protocol: TransportProtocol, peer: string): ListenerInfo {
    const family = addressFamily(peer) ?? 4;
    const all = this.listeners();
    return all.find((l) => l.protocol === protocol && l.families.includes(family))
      ?? all.find((l) => l.families.includes(family)) ?? all[0];
  }
}

/** `SIP/2.0/UDP 127.0.0.1:5060;branch=...` (RFC 3261 18.2.1 wants rport asked for on UDP, RFC 3581 3). */
export function viaValue(hop: HopAddress, branch: string): string {
  const rport = hop.protocol === 'udp' ? ';rport' : '';
  return `SIP/2.0/${hop.protocol.toUpperCase()} ${formatHostPort(hop.host, hop.port)};branch=${branch}${rport}`;
}
