// The client's local socket (RFC 3261 18.1.1): which address to write into Via and Contact, and a
// UDP port from a range, bound in the family of the server.
import { TransportError } from '../transport/errors.js';
import { routedSourceAddress } from '../transport/source-address.js';
import type { TransportManager } from '../transport/transport-manager.js';
import type { ListenerInfo } from '../transport/types.js';
import { formatHost } from '../sip/uri.js';
import { SipClientError } from './errors.js';

export interface PortRange { min: number; max: number }

/** libpurple's listen range default; `{ min: 0, max: 0 }` asks the kernel for an ephemeral port. */
export const DEFAULT_PORT_RANGE: PortRange = { min: 5060, max: 5160 };

/**
 * The local address the kernel routes toward `remote`: connect a UDP socket (no packet is sent) and
 * read its name. That is the address the server sees and can reach, unlike "the first interface".
 * The socket is of the remote's family, so an IPv4 server never yields an IPv4-mapped address.
 */
export async function routedLocalAddress(remote: string, family: 4 | 6, port = 9): Promise<string> {
  try {
    return await routedSourceAddress(remote, family, port);
  } catch (err) {
    throw new SipClientError('unreachable', `no route to ${formatHost(remote)}: ${(err as Error).message}`, undefined, { cause: err });
  }
}

/** Binds a UDP listener on `address` at the first free port of `range`. */
export async function bindUdpInRange(transport: TransportManager, address: string, range: PortRange): Promise<ListenerInfo> {
  if (range.min > range.max || range.min < 0 || range.max > 65535) {
    throw new SipClientError('invalid-option', `bad local port range ${range.min}-${range.max}`);
  }
  for (let port = range.min; port <= range.max; port++) {
    try {
      return await transport.listen(`udp:${formatHost(address)}:${port}`);
    } catch (err) {
      if (!(err instanceof TransportError) || err.code !== 'address-in-use') throw err;
    }
  }
  throw new SipClientError('invalid-option', `no free UDP port on ${formatHost(address)} in ${range.min}-${range.max}`);
}
