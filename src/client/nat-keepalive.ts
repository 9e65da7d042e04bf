// Keepalives for a registration the registrar did not make an RFC 5626 flow (its 2xx has no
// `Require: outbound`, 4.2.1): the UA must not use them to detect failure (4.4: that needs the
// registrar's outbound support; STUN over UDP needs it too, 4.4.2), but a NAT binding or a quiet
// connection still needs traffic to stay open. So: a CRLFCRLF on udp, tcp and tls (RFC 5626 3.5.1;
// a CRLFCRLF datagram is what many UAs send over UDP, and SIP servers drop it quietly), a WebSocket
// Ping on ws and wss (RFC 6455 5.5.2), at the RFC 5626 4.4.1 intervals; no answer is awaited, so a
// server that answers nothing keeps the registration. A closed connection still ends the flow
// (the user agent's 'connection-closed' handling).
import type { TransportManager } from '../transport/transport-manager.js';
import { CRLF_PING, type Flow } from './flow.js';
import { keepaliveInterval } from './outbound-keepalive.js';

export class NatKeepalive {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly transport: TransportManager,
    private readonly flow: Flow,
    private readonly intervalMs: number | undefined,
    private readonly flowTimer: number | undefined,
  ) {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.send(), this.intervalMs ?? keepaliveInterval(this.flow.target.protocol, this.flowTimer));
    this.timer.unref();
  }

  private send(): void {
    const protocol = this.flow.target.protocol;
    const sending = protocol === 'ws' || protocol === 'wss'
      ? this.transport.pingWebSocket(this.flow.connectionId as string)
      : this.transport.send(this.flow.sendTarget, CRLF_PING);
    // Nothing to learn from a failure here: a stream that broke reports its close on its own.
    sending.catch(() => undefined);
    this.schedule();
  }
}
