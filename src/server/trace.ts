// `--trace`: every SIP message in and out, with time, transport and both addresses, as text (the view
// sngrep gives). Keepalives are not SIP messages and are not printed.
import type { Writable } from 'node:stream';
import { formatHostPort } from '../sip/uri.js';
import type { TraceDirection, TransportManager } from '../transport/transport-manager.js';
import type { Endpoint, SocketIdentity } from '../transport/types.js';

function endpoint(e: Endpoint): string {
  return formatHostPort(e.address, e.port);
}

/** One trace entry: a header line, then the message text as it was on the wire. */
export function formatTraceEntry(direction: TraceDirection, data: Buffer, socket: SocketIdentity, at: Date): string {
  const arrow = direction === 'in'
    ? `${endpoint(socket.remote)} -> ${endpoint(socket.local)}`
    : `${endpoint(socket.local)} -> ${endpoint(socket.remote)}`;
  const text = data.toString('utf8').replace(/\r\n/g, '\n');
  return `----- ${at.toISOString()} ${direction.toUpperCase()} ${socket.protocol} ${arrow} (${socket.listener})\n${text}${text.endsWith('\n') ? '' : '\n'}`;
}

/** Writes every message the transport sends or receives to `out`. */
export function attachTracer(transport: TransportManager, out: Writable): void {
  transport.on('trace', (direction: TraceDirection, data: Buffer, socket: SocketIdentity) => {
    out.write(formatTraceEntry(direction, data, socket, new Date()));
  });
}
