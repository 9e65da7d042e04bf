// Addresses a response must never be sent to (RFC 4475 3.1.2.? "bcast" torture case; RFC 3261 18.2.2
// only sends to multicast when maddr asks for it, and a server must not be turned into an amplifier).
import { networkInterfaces } from 'node:os';
import { isIPv4 } from 'node:net';
import { normalizeAddress } from './address.js';

function ipv4ToNumber(a: string): number {
  return a.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** Directed broadcast addresses of the host's IPv4 subnets (e.g. 192.0.2.255 for 192.0.2.2/24). */
export function localBroadcastAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.family !== 'IPv4' || info.internal) continue;
      const mask = ipv4ToNumber(info.netmask);
      if (mask >= 0xfffffffe) continue; // /31 and /32 have no broadcast address (RFC 3021)
      const bcast = ((ipv4ToNumber(info.address) & mask) | (~mask >>> 0)) >>> 0;
      out.add([24, 16, 8, 0].map((s) => (bcast >>> s) & 255).join('.'));
    }
  }
  return out;
}

/** Why `address` is not a unicast destination, or undefined when it is one. */
export function forbiddenDestination(address: string, directedBroadcasts: ReadonlySet<string>): string | undefined {
  const a = normalizeAddress(address);
  if (isIPv4(a)) {
    if (a === '255.255.255.255') return 'limited broadcast address';
    if (a === '0.0.0.0') return 'unspecified address';
    const first = Number(a.slice(0, a.indexOf('.')));
    if (first >= 224 && first <= 239) return 'multicast address';
    if (directedBroadcasts.has(a)) return 'broadcast address of a local subnet';
    return undefined;
  }
  if (a === '::') return 'unspecified address';
  if (a.toLowerCase().startsWith('ff')) return 'multicast address';
  return undefined;
}
