// The address of ours a peer can reach, for the Via sent-by and Contact of what the presence agent
// sends: the socket's own address, or for a wildcard listener one of the same family as the peer
// (loopback for a loopback peer). RFC 3261 18.2.2 / RFC 3581 make the peer answer to our real
// source anyway; the Contact must be right, since in-dialog SUBSCRIBEs are sent to it.
import { networkInterfaces } from 'node:os';
import { formatHostPort } from '../sip/uri.js';
import { withoutZone } from '../transport/address.js';
import type { Endpoint } from '../transport/types.js';

export function reachableAddress(local: Endpoint, peer: string): string {
  // A link-local socket address carries Node's `%zone`: not part of a SIP host (RFC 3261 25.1).
  if (local.address !== '::' && local.address !== '0.0.0.0') return withoutZone(local.address);
  const v6 = peer.includes(':');
  if (peer === '::1' || peer.startsWith('127.')) return v6 ? '::1' : '127.0.0.1';
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (!info.internal && (info.family === 'IPv6') === v6) return info.address;
  }
  return v6 ? '::1' : '127.0.0.1';
}

/** `host:port` of our socket as the peer should write it. */
export function reachableHostPort(local: Endpoint, peer: string): string {
  return formatHostPort(reachableAddress(local, peer), local.port);
}
