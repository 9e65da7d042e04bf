// A flow (RFC 5626 3): the path from this UA to one server target over one transport. For UDP it is
// our bound socket toward the target's address; for streams it is one connection, opened here, whose
// local end is what Via and Contact carry (RFC 3261 18.1.1).
import { formatHost } from '../sip/uri.js';
import type { TransportManager } from '../transport/transport-manager.js';
import type { Endpoint, ListenerInfo, SendTarget } from '../transport/types.js';
import type { ServerTarget } from './resolver.js';

/** RFC 5626 4.4.1: a double CRLF ping; the server answers a single CRLF pong. It also opens a stream without a SIP message. */
export const CRLF_PING = Buffer.from('\r\n\r\n');

export interface Flow {
  target: ServerTarget;
  /** Where requests go: the target, and for streams the connection of this flow. */
  sendTarget: SendTarget;
  /** The local end: the routed address and bound port (UDP) or the connection's local end (streams). */
  local: Endpoint;
  connectionId?: string;
}

export interface FlowOptions {
  /** The UDP listener on our routed address, of the target's family (UDP only). */
  udpListener?: ListenerInfo;
  /** The routed local address toward the target (UDP only). */
  localAddress?: string;
  /** WebSocket resource path (RFC 7118), `/` by default. */
  wsPath?: string;
}

export async function openFlow(transport: TransportManager, target: ServerTarget, options: FlowOptions): Promise<Flow> {
  if (target.protocol === 'udp') {
    if (options.udpListener === undefined || options.localAddress === undefined) throw new Error('a UDP flow needs the bound listener');
    return {
      target,
      sendTarget: { protocol: 'udp', address: target.address, port: target.port, listener: options.udpListener.name },
      local: { address: options.localAddress, port: options.udpListener.port, family: target.family },
    };
  }
  const identity = target.protocol === 'ws' || target.protocol === 'wss'
    // The address the resolver chose, verified against the name it was found under (RFC 5922 7), as for TLS.
    ? await transport.connectWebSocket(`${target.protocol}://${formatHost(target.address)}:${target.port}${options.wsPath ?? '/'}`, target.host)
    : await transport.send({ protocol: target.protocol, address: target.address, port: target.port, serverName: target.host }, CRLF_PING);
  return {
    target,
    sendTarget: { protocol: target.protocol, address: target.address, port: target.port, connectionId: identity.connectionId, serverName: target.host },
    local: identity.local,
    connectionId: identity.connectionId,
  };
}
