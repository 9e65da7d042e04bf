// Listen specs: `udp:0.0.0.0:5060`, `udp:[::]:5060`, `tcp:*:5060`, `tls:[::1]:5061`, `ws:127.0.0.1:8080`.
import { isIPv4, isIPv6 } from 'node:net';
import { TransportError } from './errors.js';
import { normalizeAddress } from './address.js';
import type { TransportProtocol } from './types.js';

export interface ListenSpec {
  protocol: TransportProtocol;
  /** `*` (every address, both families when the host has IPv6) or a normalized IP address. */
  host: string;
  port: number;
}

const PROTOCOLS: ReadonlySet<string> = new Set(['udp', 'tcp', 'tls', 'ws', 'wss']);

/** RFC 3261 19.1.2: 5060 for udp/tcp, 5061 for tls; WebSocket has no SIP default port, so it must be given. */
const DEFAULT_PORTS: Partial<Record<TransportProtocol, number>> = { udp: 5060, tcp: 5060, tls: 5061 };

function fail(spec: string, why: string): never {
  throw new TransportError('bad-listen-spec', `bad listen spec "${spec}": ${why} (expected e.g. udp:*:5060, tcp:[::1]:5060, wss:0.0.0.0:8443)`);
}

export function parseListenSpec(spec: string): ListenSpec {
  const colon = spec.indexOf(':');
  if (colon === -1) fail(spec, 'no transport');
  const protocol = spec.slice(0, colon).toLowerCase();
  if (!PROTOCOLS.has(protocol)) fail(spec, `transport must be one of udp, tcp, tls, ws, wss, not "${protocol}"`);
  const rest = spec.slice(colon + 1);

  let hostText: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) fail(spec, 'unclosed "["');
    hostText = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) fail(spec, `unexpected "${after}" after the address`);
    portText = after === '' ? undefined : after.slice(1);
    if (!isIPv6(hostText)) fail(spec, `"${hostText}" is not an IPv6 address`);
  } else {
    const parts = rest.split(':');
    if (parts.length > 2) fail(spec, 'an IPv6 address must be written in brackets, e.g. [::1]');
    hostText = parts[0];
    portText = parts[1];
    if (hostText !== '*' && !isIPv4(hostText)) fail(spec, `"${hostText}" is not an IP address or *`);
  }

  const proto = protocol as TransportProtocol;
  let port: number;
  if (portText === undefined) {
    const fallback = DEFAULT_PORTS[proto];
    if (fallback === undefined) fail(spec, `${proto} needs a port`);
    port = fallback;
  } else {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) fail(spec, `bad port "${portText}"`);
    port = Number(portText);
  }
  return { protocol: proto, host: hostText === '*' ? '*' : normalizeAddress(hostText), port };
}
