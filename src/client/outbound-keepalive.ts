// RFC 5626 4.4: keeping a flow alive and noticing when it dies. TCP and TLS get a CRLFCRLF ping that
// the server answers with a CRLF pong (4.4.1); UDP gets a STUN Binding request that the server
// answers on its SIP port (4.4.2, RFC 5389), sent again on RFC 5389 7.2.1 timing while no answer
// came, as a lost datagram is no dead flow. WebSocket servers do not pong a CRLFCRLF (RFC 7118 keeps
// the WebSocket's own liveness), so ws and wss get a WebSocket Ping, which every WebSocket endpoint
// must answer with a Pong (RFC 6455 5.5.2). No answer within the timeout means the flow failed
// (4.4.1, 4.4.2), and the UA registers again (4.5). The answer is also traffic from the server: a
// flow quiet between registrations is not closed by our own idle timeout.
// A STUN answer also says where the server saw us (XOR-MAPPED-ADDRESS): when that moves, the NAT
// gave the flow a new binding and the registered Contact no longer reaches us (4.4.2).
import { randomBytes } from 'node:crypto';
import { decodeXorMappedAddress, STUN_MAGIC_COOKIE } from '../sip/stun.js';
import { normalizeAddress } from '../transport/address.js';
import type { TransportManager } from '../transport/transport-manager.js';
import type { KeepaliveKind, SocketIdentity } from '../transport/types.js';
import { CRLF_PING, type Flow } from './flow.js';

/**
 * RFC 5389 7.2.1: over UDP a STUN request is sent again after RTO (500 ms), then after each doubled
 * wait, Rc = 7 transmissions in all. The answer window (timeoutMs) still ends the transaction.
 */
export const STUN_INITIAL_RTO_MS = 500;
export const STUN_MAX_TRANSMISSIONS = 7;

export interface KeepaliveTiming {
  /** Fixed interval; otherwise from Flow-Timer or the RFC 5626 4.4.1 defaults. */
  intervalMs?: number;
  /** How long to wait for the pong or the STUN answer (RFC 5626 4.4.1: 10 s). */
  timeoutMs: number;
}

export interface MappedAddress { address: string; port: number }

export interface KeepaliveEvents {
  /** No answer, or the keepalive could not be sent: the flow failed (RFC 5626 4.4.1, 4.4.2). */
  dead(why: string): void;
  /** RFC 5626 4.4.2: the XOR-MAPPED-ADDRESS changed from `before` to `now`: a failure of the flow too. */
  moved(before: MappedAddress, now: MappedAddress): void;
}

/** RFC 5389 6: a Binding request: type 0x0001, no attributes, the magic cookie, a 96-bit transaction id. */
export function stunBindingRequest(): Buffer {
  const buf = Buffer.alloc(20);
  buf.writeUInt16BE(0x0001, 0);
  buf.writeUInt16BE(0, 2);
  buf.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
  randomBytes(12).copy(buf, 8);
  return buf;
}

/**
 * RFC 5626 4.4.1: with a Flow-Timer, a random time between 80% and 100% of it; without one, 95-120 s
 * for streams and 24-29 s for UDP.
 */
export function keepaliveInterval(protocol: string, flowTimerSeconds: number | undefined, random: () => number = Math.random): number {
  const [low, high] = flowTimerSeconds !== undefined
    ? [flowTimerSeconds * 0.8, flowTimerSeconds]
    : protocol === 'udp' ? [24, 29] : [95, 120];
  return Math.round((low + random() * (high - low)) * 1000);
}

export class OutboundKeepalive {
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  /** The next retransmission of the Binding request in flight (UDP). */
  private retransmit: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The transaction id of the Binding request in flight (RFC 5389 7.3.3: a response must carry it). */
  private pendingStun: Buffer | undefined;
  private readonly onKeepalive = (source: SocketIdentity, kind: KeepaliveKind): void => this.answered(source, kind);
  private readonly onStunResponse = (data: Buffer, source: SocketIdentity): void => this.stunAnswered(data, source);

  /**
   * `mapped` is where the registrar saw our REGISTER on this flow (RFC 3581 received/rport), the
   * reference for the STUN answers; without it the first answer becomes the reference.
   */
  constructor(
    private readonly transport: TransportManager,
    private readonly flow: Flow,
    private readonly timing: KeepaliveTiming,
    private readonly flowTimer: number | undefined,
    private readonly events: KeepaliveEvents,
    private mapped: MappedAddress | undefined,
  ) {
    transport.on('keepalive', this.onKeepalive);
    if (flow.target.protocol === 'udp') transport.on('stun-response', this.onStunResponse);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    clearTimeout(this.retransmit);
    this.transport.off('keepalive', this.onKeepalive);
    this.transport.off('stun-response', this.onStunResponse);
  }

  private schedule(): void {
    if (this.stopped) return;
    const interval = this.timing.intervalMs ?? keepaliveInterval(this.flow.target.protocol, this.flowTimer);
    this.timer = setTimeout(() => this.ping(), interval);
    this.timer.unref();
  }

  private ping(): void {
    const protocol = this.flow.target.protocol;
    if (protocol === 'ws' || protocol === 'wss') {
      this.sent(this.transport.pingWebSocket(this.flow.connectionId as string));
    } else if (protocol === 'udp') {
      const request = stunBindingRequest();
      this.pendingStun = request.subarray(8, 20);
      this.sendStun(request, 1, STUN_INITIAL_RTO_MS);
    } else {
      this.sent(this.transport.send(this.flow.sendTarget, CRLF_PING));
    }
    this.deadline = setTimeout(() => this.dead(`no keepalive answer within ${this.timing.timeoutMs} ms`), this.timing.timeoutMs);
    this.deadline.unref();
  }

  /** RFC 5389 7.2.1: transmission `count` of the Binding request; the same request again after `rto`, up to Rc. */
  private sendStun(request: Buffer, count: number, rto: number): void {
    this.sent(this.transport.send(this.flow.sendTarget, request));
    if (count >= STUN_MAX_TRANSMISSIONS) return;
    this.retransmit = setTimeout(() => this.sendStun(request, count + 1, rto * 2), rto);
    this.retransmit.unref();
  }

  private sent(sending: Promise<unknown>): void {
    sending.catch((err: Error) => this.dead(`keepalive not sent: ${err.message}`));
  }

  private fromServer(source: SocketIdentity): boolean {
    return source.remote.address === this.flow.target.address && source.remote.port === this.flow.target.port;
  }

  private answered(source: SocketIdentity, kind: KeepaliveKind): void {
    if (this.deadline === undefined) return;
    const ours = this.flow.target.protocol === 'udp'
      ? kind === 'stun' && this.fromServer(source)
      : kind === 'pong' && source.connectionId === this.flow.connectionId;
    if (!ours) return;
    clearTimeout(this.deadline);
    clearTimeout(this.retransmit);
    this.deadline = undefined;
    this.schedule();
  }

  private stunAnswered(data: Buffer, source: SocketIdentity): void {
    if (this.stopped || this.pendingStun === undefined || !this.fromServer(source) || !data.subarray(8, 20).equals(this.pendingStun)) return;
    this.pendingStun = undefined;
    const decoded = decodeXorMappedAddress(data);
    if (decoded === undefined) return;
    const now = { address: normalizeAddress(decoded.address), port: decoded.port };
    const before = this.mapped;
    this.mapped = now;
    if (before !== undefined && (before.address !== now.address || before.port !== now.port)) {
      this.stop();
      this.events.moved(before, now);
    }
  }

  private dead(why: string): void {
    if (this.stopped) return;
    this.stop();
    this.events.dead(why);
  }
}
