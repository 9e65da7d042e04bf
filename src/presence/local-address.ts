// The address of ours a peer can reach, for the Via sent-by and Contact of what the presence agent
// sends: the socket's own address, or for a wildcard listener the one the kernel routes toward the
// peer from (transport/source-address.ts; loopback for a loopback peer). RFC 3261 18.2.2 / RFC 3581
// make the peer answer to our real source anyway; the Contact must be right, since in-dialog
// SUBSCRIBEs are sent to it.
import { formatHostPort } from '../sip/uri.js';
import { sharedSourceAddresses } from '../transport/source-address.js';
import type { Endpoint } from '../transport/types.js';

export function reachableAddress(local: Endpoint, peer: string): string {
  return sharedSourceAddresses().toward(local.address, peer);
}

/** Resolves once the route toward `peer` is known (at once for a bound socket, a loopback or a known peer). */
export function learnReachableAddress(local: Endpoint, peer: string): Promise<void> {
  return sharedSourceAddresses().pending(local.address, peer) ?? Promise.resolve();
}

/** `host:port` of our socket as the peer should write it. */
export function reachableHostPort(local: Endpoint, peer: string): string {
  return formatHostPort(reachableAddress(local, peer), local.port);
}
