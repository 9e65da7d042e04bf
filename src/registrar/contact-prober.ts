// Dead contacts (a UA that crashed or lost its network never unregisters): every interval the server
// sends OPTIONS (RFC 3261 11) to each source with bindings that has shown no sign of life for that
// long, and removes the source's bindings after `maxFailures` probes in a row got nothing back
// (Timer F or a transport error). Any response proves the host alive: even 404, 405 or 501.
// Sources are UDP addresses and TCP/TLS connections that carry plain bindings. A stream binding also
// goes when its connection closes (keepalive-tracker.ts), and a connection closes after
// `--idle-timeout` without a byte from the peer: the probe's answer is such a byte, so a UA that
// sends nothing of its own for a long while (libpurple refreshes its binding every 850 s) keeps its
// connection and binding as long as it answers. RFC 5626 flows are kept alive by their UA's own
// keepalives (4.4) and are not probed; neither are WebSocket connections.
import { createRequest, newBranch } from '../sip/builder.js';
import { listenerEndpoint } from '../transport/listener-address.js';
import { sharedSourceAddresses } from '../transport/source-address.js';
import { uriWithIPv4Host } from '../sip/mapped-host.js';
import { formatHostPort } from '../sip/uri.js';
import type { BindingRecord } from '../store/types.js';
import type { ClientTransaction } from '../transaction/client-transaction.js';
import type { TimerHandle, TimerHeap } from '../transaction/timer-heap.js';
import type { TransactionLayer } from '../transaction/transaction-layer.js';
import type { TransportLogger } from '../transport/types.js';
import type { LocationService } from './location-service.js';
import { keyOfBinding } from './location-service.js';
import { reachedOverItsConnection } from './binding-record.js';

export interface ContactProberOptions {
  location: LocationService;
  transactions: TransactionLayer;
  timers: TimerHeap;
  /** Seconds between probe rounds (a source is probed at most once per round). */
  intervalSeconds: number;
  /** Unanswered probes in a row after which a source's bindings are removed (default 3). */
  maxFailures?: number;
  /** Probes in flight at once; the rest wait for the next round (default 1000). */
  maxInFlight?: number;
  serverName: string;
  logger: TransportLogger;
}

/** `udp:[::]:5060` (BindingRecord.socket) -> the listener's name `udp [::]:5060` and its address and port. */
function parseSocket(socket: string): { listener: string; address: string; port: number } {
  const listener = socket.replace(':', ' ');
  const bound = listenerEndpoint(listener);
  return { listener, address: bound?.address ?? '0.0.0.0', port: bound?.port ?? 5060 };
}

/**
 * The Via sent-by of a probe: the listener's address, or for a wildcard listener the address of ours
 * the kernel routes toward the peer from (transport/source-address.ts). The peer answers to our real
 * source anyway (RFC 3261 18.2.2 received, RFC 3581 rport).
 */
function sentByAddress(bound: string, peer: string): string {
  return sharedSourceAddresses().toward(bound, peer);
}

/**
 * UDP bindings, and plain (not RFC 5626 outbound) bindings on a TCP or TLS connection. Not bindings
 * registered through an edge proxy (Path): their source is the proxy, which keeps the flow to the
 * device; a silent proxy must not take every user behind it down.
 */
function isProbed(b: BindingRecord): boolean {
  if (b.path.length > 0) return false;
  const protocol = b.received.protocol;
  if (protocol === 'udp') return true;
  return (protocol === 'tcp' || protocol === 'tls') && reachedOverItsConnection(b) && !b.flags.includes('outbound');
}

export class ContactProber {
  private readonly failures = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private timer: TimerHandle | undefined;
  private readonly intervalMs: number;
  private readonly maxFailures: number;
  private readonly maxInFlight: number;

  constructor(private readonly options: ContactProberOptions) {
    this.intervalMs = options.intervalSeconds * 1000;
    this.maxFailures = options.maxFailures ?? 3;
    this.maxInFlight = options.maxInFlight ?? 1000;
  }

  start(): void {
    if (this.intervalMs > 0) this.timer = this.options.timers.schedule(this.intervalMs, () => this.round());
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One round: probe every quiet source once. */
  round(): void {
    this.start();
    const { location } = this.options;
    const now = location.now();
    for (const key of this.failures.keys()) if (location.bindingsFrom(key).length === 0) this.failures.delete(key);
    const seen = new Set<string>();
    for (const b of location.entries()) {
      if (this.inFlight.size >= this.maxInFlight) break;
      if (!isProbed(b)) continue;
      const key = keyOfBinding(b);
      if (seen.has(key) || this.inFlight.has(key)) continue;
      seen.add(key);
      // A REGISTER or keepalive within the interval already proved the source alive.
      if (b.lastKeepalive !== undefined && now - b.lastKeepalive < this.intervalMs && !this.failures.has(key)) continue;
      this.probe(b, key);
    }
  }

  private probe(b: BindingRecord, key: string): void {
    const { transactions, serverName, logger } = this.options;
    const socket = parseSocket(b.socket);
    const sentBy = formatHostPort(sentByAddress(socket.address, b.received.address), socket.port);
    const domain = b.aor.slice(b.aor.indexOf('@') + 1);
    const protocol = b.received.protocol;
    const request = createRequest({
      // A mapped contact host as its IPv4 address (sip/mapped-host.ts): the same address, no `::ffff:`.
      method: 'OPTIONS', uri: uriWithIPv4Host(b.contact), from: `<sip:${domain}>`, to: `<${b.aor}>`,
      via: `SIP/2.0/${protocol.toUpperCase()} ${sentBy};branch=${newBranch()};rport`, headers: [['User-Agent', serverName]],
    });
    this.inFlight.add(key);
    let tx: ClientTransaction;
    try {
      // A stream binding is probed over its own connection: the only way to reach the UA.
      tx = transactions.sendRequest(request, protocol === 'udp'
        ? { protocol, address: b.received.address, port: b.received.port, listener: socket.listener }
        : { protocol, address: b.received.address, port: b.received.port, connectionId: b.connectionId });
    } catch (err) {
      this.inFlight.delete(key);
      logger.warn({ contact: b.contact, err: String(err) }, 'cannot probe a contact');
      return;
    }
    const alive = (): void => {
      this.inFlight.delete(key);
      if (this.failures.delete(key)) this.options.location.markDead(key, false);
      this.options.location.touch(key);
    };
    tx.once('provisional', alive);
    tx.once('final', alive);
    tx.once('timeout', () => this.failed(key));
    tx.once('transport-error', () => this.failed(key));
  }

  private failed(key: string): void {
    this.inFlight.delete(key);
    const count = (this.failures.get(key) ?? 0) + 1;
    if (count < this.maxFailures) {
      this.failures.set(key, count);
      this.options.location.markDead(key, true);
      return;
    }
    this.failures.delete(key);
    this.options.location.removeFrom(key, 'dead', isProbed)
      .catch((err: unknown) => this.options.logger.warn({ source: key, err: String(err) }, 'could not delete dead bindings from the store'));
  }
}
