// RFC 5626 4.4: keeping a flow alive and noticing when it dies. Streams get a CRLFCRLF ping that the
// server answers with a CRLF pong (4.4.1); UDP gets a STUN Binding request that the server answers
// on its SIP port (4.4.2, RFC 5389). No answer within the timeout means the flow failed (4.4.1,
// 4.4.2), and the UA registers again (4.5). WebSocket servers do not pong a CRLFCRLF (RFC 7118 keeps
// the WebSocket's own liveness), so there the ping only keeps NATs open and a close is the signal.
import { randomBytes } from 'node:crypto';
import { STUN_MAGIC_COOKIE } from '../sip/stun.js';
import type { TransportManager } from '../transport/transport-manager.js';
import type { KeepaliveKind, SocketIdentity } from '../transport/types.js';
import { CRLF_PING, type Flow } from './flow.js';

export interface KeepaliveTiming {
  /** Fixed interval; otherwise from Flow-Timer or the RFC 5626 4.4.1 defaults. */
  intervalMs?: number;
  /** How long to wait for the pong or the STUN answer (RFC 5626 4.4.1: 10 s). */
  timeoutMs: number;
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
  private stopped = false;
  private readonly onKeepalive = (source: SocketIdentity, kind: KeepaliveKind): void => this.answered(source, kind);

  constructor(
    private readonly transport: TransportManager,
    private readonly flow: Flow,
    private readonly timing: KeepaliveTiming,
    private readonly flowTimer: number | undefined,
    private readonly onDead: (why: string) => void,
  ) {
    transport.on('keepalive', this.onKeepalive);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    this.transport.off('keepalive', this.onKeepalive);
  }

  private schedule(): void {
    if (this.stopped) return;
    const interval = this.timing.intervalMs ?? keepaliveInterval(this.flow.target.protocol, this.flowTimer);
    this.timer = setTimeout(() => this.ping(), interval);
    this.timer.unref();
  }

  private ping(): void {
    const udp = this.flow.target.protocol === 'udp';
    const expectsAnswer = udp || this.flow.target.protocol === 'tcp' || this.flow.target.protocol === 'tls';
    this.transport.send(this.flow.sendTarget, udp ? stunBindingRequest() : CRLF_PING).catch((err: Error) => this.dead(`keepalive not sent: ${err.message}`));
    if (!expectsAnswer) {
      this.schedule();
      return;
    }
    this.deadline = setTimeout(() => this.dead(`no keepalive answer within ${this.timing.timeoutMs} ms`), this.timing.timeoutMs);
    this.deadline.unref();
  }

  private answered(source: SocketIdentity, kind: KeepaliveKind): void {
    if (this.deadline === undefined) return;
    const ours = this.flow.target.protocol === 'udp'
      ? kind === 'stun' && source.remote.address === this.flow.target.address && source.remote.port === this.flow.target.port
      : kind === 'pong' && source.connectionId === this.flow.connectionId;
    if (!ours) return;
    clearTimeout(this.deadline);
    this.deadline = undefined;
    this.schedule();
  }

  private dead(why: string): void {
    if (this.stopped) return;
    this.stop();
    this.onDead(why);
  }
}
